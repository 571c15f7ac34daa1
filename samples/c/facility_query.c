/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sample: wait until the card is ready, then show its CCA status and its
 * card information, as a CCA program would (CSUACFQ STATCCA, STATCARD).
 *
 * A card runs its power-on self-test after every reset and answers 12/338
 * until it is done; IBM's advice is to poll CSUACFQ until it succeeds,
 * which is what wait_for_card() does.
 *
 *   usage: facility_query [seconds-to-wait]     (default 60)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csulincl.h"

#define ELEMENT 8

static void query(const char *keyword, long *rc, long *rs, long *count, unsigned char rules[][ELEMENT])
{
    long verb_data_length = 0;
    *count = 1;
    memset(rules, ' ', 32 * ELEMENT);
    memcpy(rules[0], keyword, strlen(keyword));
    CSUACFQ(rc, rs, NULL, NULL, count, (unsigned char *)rules, &verb_data_length, NULL);
}

static int wait_for_card(int seconds)
{
    unsigned char rules[32][ELEMENT];
    long rc, rs, count;
    for (int waited = 0;; waited++) {
        query("STATCCA", &rc, &rs, &count, rules);
        if (rc == 0)
            return 0;
        if (waited == 0)
            printf("card not ready (return code %ld, reason code %ld): waiting", rc, rs);
        if (waited >= seconds * 4) {
            printf("\ngave up after %d s\n", seconds);
            return 1;
        }
        putchar('.');
        fflush(stdout);
        usleep(250 * 1000);
    }
}

static const char *register_state(const unsigned char *e)
{
    switch (e[0]) {
    case '1': return "empty";
    case '2': return "partially loaded / valid";
    case '3': return "complete";
    default: return "?";
    }
}

static void show(const char *label, const unsigned char *element)
{
    printf("  %-34s %.8s\n", label, (const char *)element);
}

int main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 60;
    if (wait_for_card(seconds) != 0)
        return 1;

    unsigned char rules[32][ELEMENT];
    long rc, rs, count;
    query("STATCCA", &rc, &rs, &count, rules);
    printf("CSUACFQ STATCCA: return code %ld, reason code %ld, %ld elements\n", rc, rs, count);
    printf("  %-34s %s\n", "new master key register", register_state(rules[0]));
    printf("  %-34s %s\n", "current master key register", register_state(rules[1]));
    printf("  %-34s %s\n", "old master key register", register_state(rules[2]));
    show("CCA version", rules[3]);
    show("build date", rules[4]);
    show("role", rules[5]);

    query("STATCARD", &rc, &rs, &count, rules);
    printf("CSUACFQ STATCARD: return code %ld, reason code %ld, %ld elements\n", rc, rs, count);
    if (rc != 0)
        return 1;
    show("installed adapters", rules[0]);
    show("coprocessor operating system", rules[4]);
    show("part number", rules[6]);
    show("serial number", rules[14]);
    return 0;
}
