/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sample: master keys.  Shows the master-key register states (CSUACFQ
 * STATCCAE, STATAES, STATAPKA), loads an AES master key from two known
 * parts (CSNBMKP AES-MK CLEAR, FIRST, LAST, SET), prints its verification
 * pattern as CSUACFQ STATICSB reports it, then makes a random symmetric
 * (DES) master key current (CSNBMKP SYM-MK CLEAR, RANDOM, SET).
 *
 * Each SET moves the current master key to the old register; keys wrapped
 * under the old master key still work (0/10001) until the next SET.  A SET
 * whose new key equals the current or old one is refused with 8/704; this
 * happens when the sample runs a second time, and it carries on.
 *
 * The key parts below are sample values: never use known parts for a real
 * master key.
 *
 *   usage: master_keys
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "csulincl.h"

#define ELEMENT 8
#define AES_MK_LENGTH 32
#define STATICSB_LENGTH 240

/* STATICSB verb_data: blocks {length(2), id(2), pattern(8)}, big-endian. */
#define AES_CMK_BLOCK 180 /* ID X'0F0B' */
#define SYM_CMK_BLOCK 132 /* ID X'0F07' */
#define SYM_OMK_BLOCK 120 /* ID X'0F08' */

static void query(const char *keyword, long *rc, long *rs, long *count, unsigned char rules[][ELEMENT],
                  long *verb_data_length, unsigned char *verb_data)
{
    *count = 1;
    memset(rules, ' ', 32 * ELEMENT);
    memcpy(rules[0], keyword, strlen(keyword));
    CSUACFQ(rc, rs, NULL, NULL, count, (unsigned char *)rules, verb_data_length, verb_data);
}

static const char *state_name(unsigned char c, int nmk)
{
    if (c == '1')
        return "empty";
    if (c == '2')
        return nmk ? "partially loaded" : "valid";
    if (c == '3')
        return "full (loaded, not set)";
    return "?";
}

/* Three elements: new, current and old register of one master-key set. */
static void show_set(const char *name, unsigned char rules[][ELEMENT], int first)
{
    printf("  %-5s new: %-24s current: %-6s old: %s\n", name, state_name(rules[first][0], 1),
           state_name(rules[first + 1][0], 0), state_name(rules[first + 2][0], 0));
}

static int show_states(void)
{
    unsigned char rules[32][ELEMENT];
    long rc, rs, count, length = 0;
    query("STATCCAE", &rc, &rs, &count, rules, &length, NULL);
    if (rc != 0) {
        printf("CSUACFQ STATCCAE: return code %ld, reason code %ld\n", rc, rs);
        return 1;
    }
    printf("Master-key registers:\n");
    show_set("SYM", rules, 0);
    show_set("ASYM", rules, 6);
    query("STATAES", &rc, &rs, &count, rules, &length, NULL);
    if (rc == 0)
        show_set("AES", rules, 0);
    query("STATAPKA", &rc, &rs, &count, rules, &length, NULL);
    if (rc == 0)
        show_set("APKA", rules, 0);
    return 0;
}

/* One CSNBMKP step; returns its return code, prints it when not 0/0. */
static long master_key_process(const char *set, const char *action, unsigned char *part)
{
    unsigned char rules[2][ELEMENT];
    memset(rules, ' ', sizeof(rules));
    memcpy(rules[0], set, strlen(set));
    memcpy(rules[1], action, strlen(action));
    long rc, rs, count = 2;
    CSNBMKP(&rc, &rs, NULL, NULL, &count, (unsigned char *)rules, part);
    if (rc != 0 || rs != 0)
        printf("  CSNBMKP %s %s: return code %ld, reason code %ld\n", set, action, rc, rs);
    return rc == 0 ? 0 : rs == 704 ? 704 : rc;
}

/* SET, where 8/704 (the same key is already current or old) is not an error. */
static int set_new_key(const char *set, const char *name)
{
    long r = master_key_process(set, "SET", NULL);
    if (r == 704) {
        printf("  this key is already the current or old %s master key: registers unchanged\n", name);
        return master_key_process(set, "CLEAR", NULL) == 0 ? 0 : 1; /* empty the new register again */
    }
    return r == 0 ? 0 : 1;
}

/* The 8-byte pattern of one STATICSB block, after checking the block's ID. */
static void show_pattern(const unsigned char *verb_data, int offset, unsigned id, const char *label)
{
    unsigned got = (unsigned)(verb_data[offset + 2] << 8 | verb_data[offset + 3]);
    if (got != id) {
        printf("  %s: unexpected block ID %04X\n", label, got);
        return;
    }
    printf("  %-38s ", label);
    for (int i = 0; i < 8; i++)
        printf("%02X", verb_data[offset + 4 + i]);
    printf("\n");
}

static int show_patterns(void)
{
    unsigned char rules[32][ELEMENT], verb_data[256];
    long rc, rs, count, length = sizeof(verb_data); /* at least 240 bytes, or 8/72 */
    query("STATICSB", &rc, &rs, &count, rules, &length, verb_data);
    if (rc != 0 || length < STATICSB_LENGTH) {
        printf("CSUACFQ STATICSB: return code %ld, reason code %ld\n", rc, rs);
        return 1;
    }
    printf("Verification patterns (CSUACFQ STATICSB, %ld bytes, zeros for an empty register):\n", length);
    show_pattern(verb_data, AES_CMK_BLOCK, 0x0F0B, "AES current master key");
    show_pattern(verb_data, SYM_CMK_BLOCK, 0x0F07, "SYM current master key");
    show_pattern(verb_data, SYM_OMK_BLOCK, 0x0F08, "SYM old master key");
    return 0;
}

static int load_aes_master_key(void)
{
    /* Two sample parts; the master key is their XOR. */
    unsigned char first[AES_MK_LENGTH], last[AES_MK_LENGTH];
    for (int i = 0; i < AES_MK_LENGTH; i++) {
        first[i] = (unsigned char)(0x11 * (i % 16));
        last[i] = (unsigned char)(0xA5 ^ i);
    }
    printf("\nLoading an AES master key from two parts (CLEAR, FIRST, LAST, SET)\n");
    if (master_key_process("AES-MK", "CLEAR", NULL) != 0 || master_key_process("AES-MK", "FIRST", first) != 0 ||
        master_key_process("AES-MK", "LAST", last) != 0)
        return 1;
    return set_new_key("AES-MK", "AES");
}

static int random_sym_master_key(void)
{
    printf("\nMaking a random SYM master key current (CLEAR, RANDOM, SET)\n");
    if (master_key_process("SYM-MK", "CLEAR", NULL) != 0 || master_key_process("SYM-MK", "RANDOM", NULL) != 0)
        return 1;
    return set_new_key("SYM-MK", "SYM");
}

int main(void)
{
    if (show_states() != 0)
        return 1;
    if (load_aes_master_key() != 0)
        return 1;
    /*
     * The pattern is the first 8 bytes of SHA-256(X'01' || key); for these
     * parts it is the same on every card, so it identifies the key.
     */
    if (show_states() != 0 || show_patterns() != 0)
        return 1;
    if (random_sym_master_key() != 0)
        return 1;
    if (show_states() != 0 || show_patterns() != 0)
        return 1;
    return 0;
}
