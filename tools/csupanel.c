/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csupanel: bring a card into service from the command line, the role
 * IBM's panel.exe plays.  Options follow panel.exe's GNU-style syntax
 * (../shared/cca-host-software.md §4.2); everything goes through the
 * public verbs (CSNBMKP, CSUACFQ, CSUACFV), so it works against any card
 * CSU_CARD names.
 *
 *   csupanel --status
 *   csupanel --mktype=AES --mk-clear
 *   csupanel --mktype=AES --mkpart=FIRST --mk-load=<64 hex digits>
 *   csupanel --mktype=AES --mkpart=LAST  --mk-load=<64 hex digits>
 *   csupanel --mktype=AES --mk-set
 *   csupanel --mktype=SYM --mk-random      (a random new master key)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "csulincl.h"

#define WORD 8

struct mktype {
    const char *name;    /* --mktype value */
    const char *keyword; /* CSNBMKP register-set keyword */
    const char *query;   /* CSUACFQ keyword reporting its registers */
    int first_element;   /* 1-based element of its NMK state */
    size_t length;       /* key-part bytes */
};

static const struct mktype mktypes[] = {
    {"SYM", "SYM-MK", "STATCCAE", 1, 24},
    {"ASYM", "ASYM-MK", "STATCCAE", 7, 24},
    {"AES", "AES-MK", "STATAES", 1, 32},
    {"APKA", "APKA-MK", "STATAPKA", 1, 32},
};

static void put_word(unsigned char *out, const char *word)
{
    memset(out, ' ', WORD);
    memcpy(out, word, strlen(word));
}

static const char *nmk_state(char c)
{
    return c == '1' ? "empty" : c == '2' ? "partially loaded" : c == '3' ? "full (not set)" : "?";
}

static const char *reg_state(char c)
{
    return c == '2' ? "valid" : c == '1' ? "empty" : "?";
}

static int report(const char *what, long rc, long rs)
{
    if (rc == 0 && rs == 0)
        printf("%s: done\n", what);
    else
        printf("%s: return code %ld, reason code %ld\n", what, rc, rs);
    return rc >= 8 ? 1 : 0;
}

static int show_status(void)
{
    long rc, rs, len = 17;
    unsigned char version[17];
    CSUACFV(&rc, &rs, NULL, NULL, &len, version);
    if (rc == 0)
        printf("host library version  %.8s built %.8s\n", (const char *)version, (const char *)version + 8);
    for (size_t i = 0; i < sizeof(mktypes) / sizeof(mktypes[0]); i++) {
        unsigned char rules[32 * WORD];
        long count = 1, vlen = 0;
        put_word(rules, mktypes[i].query);
        CSUACFQ(&rc, &rs, NULL, NULL, &count, rules, &vlen, NULL);
        if (rc != 0)
            return report(mktypes[i].query, rc, rs);
        const unsigned char *e = rules + (size_t)(mktypes[i].first_element - 1) * WORD;
        printf("%-5s master key: new %-17s current %-6s old %s\n", mktypes[i].name, nmk_state((char)e[0]),
               reg_state((char)e[WORD]), reg_state((char)e[2 * WORD]));
    }
    return 0;
}

static int parse_hex(const char *hex, unsigned char *out, size_t want)
{
    long n = 0;
    unsigned char *p = OPENSSL_hexstr2buf(hex, &n);
    if (!p || (size_t)n != want) {
        OPENSSL_clear_free(p, p ? (size_t)n : 0);
        return -1;
    }
    memcpy(out, p, want);
    OPENSSL_clear_free(p, (size_t)n);
    return 0;
}

static int master_key_step(const struct mktype *t, const char *action, const char *hex)
{
    unsigned char rules[2 * WORD], part[32] = {0};
    put_word(rules, t->keyword);
    put_word(rules + WORD, action);
    if (hex && parse_hex(hex, part, t->length) != 0) {
        fprintf(stderr, "--mk-load needs %zu hex digits for %s\n", 2 * t->length, t->name);
        return 2;
    }
    long rc, rs, count = 2;
    CSNBMKP(&rc, &rs, NULL, NULL, &count, rules, part);
    OPENSSL_cleanse(part, sizeof(part));
    char what[64];
    snprintf(what, sizeof(what), "CSNBMKP %s %s", t->keyword, action);
    return report(what, rc, rs);
}

static void usage(void)
{
    fprintf(stderr, "usage: csupanel -x|--status\n"
                    "       csupanel --mktype=SYM|ASYM|AES|APKA (--mk-clear | --mk-set | --mk-random |\n"
                    "                --mkpart=FIRST|MIDDLE|LAST --mk-load=HEX)\n"
                    "the card is the one CSU_CARD names (default unix:/run/csulcca/card0.sock)\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"status", no_argument, NULL, 'x'},        {"mktype", required_argument, NULL, 't'},
        {"mk-clear", no_argument, NULL, 'c'},      {"mk-set", no_argument, NULL, 's'},
        {"mk-random", no_argument, NULL, 'r'},     {"mkpart", required_argument, NULL, 'p'},
        {"mk-load", required_argument, NULL, 'l'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const struct mktype *type = NULL;
    const char *action = NULL, *part = NULL, *hex = NULL;
    int c, status = 0;
    while ((c = getopt_long(argc, argv, "xh", opts, NULL)) != -1) {
        switch (c) {
        case 'x': status = 1; break;
        case 't':
            for (size_t i = 0; i < sizeof(mktypes) / sizeof(mktypes[0]); i++)
                if (strcmp(optarg, mktypes[i].name) == 0)
                    type = &mktypes[i];
            if (!type) {
                usage();
                return 2;
            }
            break;
        case 'c': action = "CLEAR"; break;
        case 's': action = "SET"; break;
        case 'r': action = "RANDOM"; break;
        case 'p': part = optarg; break;
        case 'l': hex = optarg; break;
        default: usage(); return 2;
        }
    }
    if (status)
        return show_status();
    if (part) {
        if (!hex || (strcmp(part, "FIRST") && strcmp(part, "MIDDLE") && strcmp(part, "LAST"))) {
            usage();
            return 2;
        }
        action = part;
    }
    if (!type || !action || (hex && !part)) {
        usage();
        return 2;
    }
    return master_key_step(type, action, hex);
}
