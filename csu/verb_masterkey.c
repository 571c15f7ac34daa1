/* SPDX-License-Identifier: Apache-2.0 */
/* Host half of CSNBMKP (card half in card/fw_masterkey.c). */
#include "csu_boundary.h"
#include "csu_wire.h"
#include "spec_masterkey.h"

void SECURITYAPI CSNBMKP(long *return_code, long *reason_code, long *exit_data_length, unsigned char *exit_data,
                         long *rule_array_count, unsigned char *rule_array, unsigned char *key_part)
{
    (void)exit_data_length;
    (void)exit_data;
    if (!return_code || !reason_code)
        return;
    if (!rule_array_count || !rule_array) {
        csu_set_err(return_code, reason_code, CSU_E_NULL_POINTER);
        return;
    }
    /* The host parses the rules too: it must know how many key-part bytes to read. */
    struct csu_rule_result r;
    csu_err err = csu_rules_parse(&csu_mkp_spec, *rule_array_count, rule_array, &r);
    enum mk_set set = (enum mk_set)csu_rules_value(&r, MKP_GROUP_SET, MK_SYM);
    bool takes_part = err == CSU_OK && mkp_action_takes_part((enum mkp_action)r.value[MKP_GROUP_ACTION]);
    if (takes_part && !key_part)
        err = CSU_E_NULL_POINTER;
    struct csu_wire_msg req = {.op = CSU_OP_CSNBMKP, .rule_count = (uint16_t)*rule_array_count,
                               .rules = rule_array};
    if (takes_part)
        csu_wire_add_block(&req, CSU_TAG_VERB_DATA, key_part, mk_set_length(set));
    struct csu_reply rep;
    if (err == CSU_OK)
        err = csu_call(&req, &rep);
    if (err != CSU_OK) {
        csu_set_err(return_code, reason_code, err);
        return;
    }
    csu_set_reply(return_code, reason_code, &rep, CSU_OK);
    csu_reply_free(&rep);
}
