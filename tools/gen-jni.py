#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generate the JNI glue and the Java native declarations from csu/verb_table.def.

    tools/gen-jni.py            write jni/csulccaj_verbs.c and java/src/.../CCA.java
    tools/gen-jni.py --check    exit 1 when the committed files differ from the output

Every verb becomes one JNI function that converts its arguments and calls the
C verb; the work is done by the helpers in jni/csulccaj_rt.c.  What the
generator must know that the C prototype does not say is how many bytes the
C verb may read or write through each `unsigned char *`, so that a Java array
is never overrun:

  ("len", [p...])   a length parameter governs the array (bytes = its value;
                    several: the largest).  Too short an array: 8/72, C not called.
  ("bits", p)       a bit-length parameter governs it (bytes = ceil(bits/8)).
  ("count", p, n)   n bytes per unit of a count parameter.
  ("rules", p)      a rule array: 8 bytes per keyword on input; some verbs
                    (CSUACFQ, CSUACFC, CSNBKTP...) return keywords in it, up
                    to RULE_OUT_MAX words, so it is padded like a fixed output.
  ("sum", [p...])   the sum of several parameters (offset + length).
  ("fixed", n)      CCA fixes the size; C touches at most n bytes.  A shorter
                    Java array is copied into a zero-padded n-byte buffer and
                    an output that does not fit answers 8/72.
  ("lenpad", p, n)  at least p's value, and C may write up to p + n (padding).

Pairs are found by name (X with X_length / X_len / X_ln, or X without its
_identifier/_text/_value/_id suffix plus _length); the rest is in the tables
below, and a byte parameter that no rule covers stops the generator.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TABLE = os.path.join(ROOT, "csu", "verb_table.def")
C_OUT = os.path.join(ROOT, "jni", "csulccaj_verbs.c")
JAVA_CLASS = "CCA"
JAVA_PKG = "com.ibm.crypto.cca.jni"
JAVA_OUT = os.path.join(ROOT, "java", "src", *JAVA_PKG.split("."), JAVA_CLASS + ".java")

TOKEN = 64      # fixed-length key token, key label
KEYWORD = 8     # one rule-array keyword / key type
RULE_OUT_MAX = 64  # keywords a verb may return in its rule array (CSUACFQ STATDIAG: 17)
CHAIN = 18      # DES/MAC chaining vector work area
BLOCK = 16      # the largest cipher block: the most padding a verb adds

# Sizes of byte parameters that have no length parameter, by name.
FIXED = {
    "key_form": 4, "key_length": KEYWORD, "key_type": KEYWORD, "key_type_1": KEYWORD,
    "key_type_2": KEYWORD, "form": KEYWORD, "random_number": KEYWORD,
    "key_identifier": TOKEN, "key_label": TOKEN, "key_token": TOKEN, "key_label_mask": TOKEN,
    "KEK_key_identifier_1": TOKEN, "KEK_key_identifier_2": TOKEN,
    "generated_key_identifier_1": TOKEN, "generated_key_identifier_2": TOKEN,
    "source_key_token": TOKEN, "target_key_token": TOKEN, "source_key_identifier": TOKEN,
    "target_key_identifier": TOKEN, "importer_key_identifier": TOKEN,
    "exporter_key_identifier": TOKEN, "kek_key_identifier": TOKEN,
    "input_key_token": TOKEN, "output_key_token": TOKEN, "input_KEK_key_identifier": TOKEN,
    "output_KEK_key_identifier": TOKEN, "transport_key_identifier": TOKEN,
    "array_key_left": TOKEN, "array_key_right": TOKEN, "mask_array_left": TOKEN,
    "mask_array_right": TOKEN, "generating_key_id": TOKEN, "decrypting_key_id": TOKEN,
    "generated_key_id": TOKEN, "cvarenc_key_id": TOKEN, "key_encrypting_key": TOKEN,
    "input_key_indentifier": TOKEN, "session_key": TOKEN, "secmsg_key": TOKEN,
    "public_key_name": TOKEN, "private_key_name": TOKEN, "certifying_key_name": TOKEN,
    "PIN_enc_key_id": TOKEN, "PIN_gen_key_id": TOKEN, "PIN_ver_key_id": TOKEN,
    "in_PIN_enc_key_id": TOKEN, "out_PIN_enc_key_id": TOKEN, "outPIN_enc_key_id": TOKEN,
    "key_a_id": TOKEN, "key_b_id": TOKEN,
    "key_value": 32, "clear_key": 8, "key_part": 32, "clear_master_key": 32,
    "value_1": KEYWORD, "value_2": KEYWORD, "verification_pattern": KEYWORD,
    "control_vector": 16, "master_key_verification_number": 16,
    "master_key_verification_pattern_v00": 16, "master_key_verification_pattern_v03": 16,
    "reserved_field_1": 16, "reserved_field_3": 16, "reserved_field_4": 16, "reserved_field_6": 16,
    "security_server_name": KEYWORD, "user_id": KEYWORD, "name": KEYWORD,
    "chaining_vector": CHAIN, "output_chaining_value": CHAIN, "MAC": KEYWORD, "MDC": 32,
    "initialization_vector": BLOCK, "init_vector": BLOCK,
    "block_contents_identifier": 1,
    "PIN_profile": 24, "in_PIN_profile": 24, "out_PIN_profile": 24, "outPIN_profile": 24,
    "output_PIN_profile": 24, "output_pin_profile": 24, "new_ref_pin_profile": 24,
    "current_ref_pin_profile": 24,
    "PAN_data": 19, "in_PAN_data": 19, "out_PAN_data": 19, "pan_data": 19,
    "new_ref_pan_data": 19, "current_ref_pan_data": 19,
    "encrypted_PIN_blk": 8, "in_PIN_blk": 8, "put_PIN_blk": 8, "encrypted_pin_block": 8,
    "new_ref_pin_block": 8, "current_ref_pin_block": 8,
    "clear_PIN": 16, "data_array": 48, "returned_result": 16, "offset": 16,
    "expiration_date": 6, "service_code": 3, "generated_cvv": 5,
    "issuer_domestic_code": 5, "card_secure_code": 5, "ap_value": 8,
    "key_block_version": 1, "key_usage": 2, "algorithm": 1, "mode": 1,
    "key_version_number": 2, "exportability": 1, "opt_block_id": 2,
}

# Per-verb rules where the name alone does not tell (verb -> param -> rule).
OVERRIDE = {
    "CSNBKTB2": {"clear_key_value": ("bits", "clear_key_bit_length")},
    "CSNBKTP2": {"payload": ("bits", "payload_bit_length")},
    "CSNBT31O": {"opt_blocks": ("len", ["opt_blocks_length", "opt_blocks_bfr_length"])},
    "CSNBT31R": {"opt_block_ids": ("count", "num_opt_blocks", 2),
                 "opt_block_lengths": ("count", "num_opt_blocks", 2)},
    "CSNDRKL": {"key_labels": ("count", "key_labels_count", TOKEN)},
    "CSNBENC": {"plaintext": ("len", ["text_length"]), "ciphertext": ("lenpad", "text_length", BLOCK)},
    "CSNBDEC": {"plaintext": ("len", ["text_length"]), "ciphertext": ("len", ["text_length"])},
    "CSNBCVE": {"plain_text": ("len", ["text_length"]), "cipher_text": ("lenpad", "text_length", BLOCK)},
    "CSNBMDG": {"text_data": ("len", ["text_length"])},
    "CSNBSPN": {"clear_text": ("len", ["text_length"]),
                "cipher_text": ("lenpad", "PIN_offset_field_length", BLOCK)},
    "CSNBSKY": {"clear_text": ("len", ["text_length"]),
                "cipher_text": ("lenpad", "key_offset_field_length", BLOCK)},
    "CSNBXEA": {"source_text": ("len", ["text_length"]), "target_text": ("len", ["text_length"])},
    "CSNDSXD": {"data": ("sum", ["data_offset", "data_length"])},
    "CSNDSBC": {"des_encrypted_data_block": ("lenpad", "data_to_encrypt_length", BLOCK)},
    "CSNDSBD": {"data_block": ("len", ["des_encrypted_data_block_length"])},
    "CSNDTBC": {"input_block_identifier": ("len", ["input_block_length"]),
                "trusted_block_identifier": ("len", ["trusted_block_length"])},
    "CSNBDKG": {"data": ("len", ["data_length"])},
}

STRIP = ("_identifier", "_text", "_value", "_id")


def parse_table(path):
    text = open(path, encoding="utf-8").read()
    verbs = []
    for m in re.finditer(r"^CSU_VERB\((\w+),\s*(\w+),\s*(\w+),\s*\((.*?)\)\)\s*$", text, re.S | re.M):
        name, family, _state, plist = m.groups()
        params = []
        for raw in plist.replace("\n", " ").split(","):
            raw = " ".join(raw.split())
            pname = re.split(r"[\s*]+", raw)[-1]
            if raw.startswith("long *"):
                kind = "num"
            elif raw.startswith("unsigned char *") or raw.startswith("void *"):
                kind = "bytes"
            else:
                sys.exit(f"gen-jni: {name}: cannot map parameter '{raw}'")
            params.append({"name": pname, "kind": kind, "ctype": raw.rsplit(pname, 1)[0].strip()})
        verbs.append({"name": name, "family": family, "params": params})
    if not verbs:
        sys.exit("gen-jni: no CSU_VERB entries found")
    return verbs


def size_rule(verb, p, nums):
    name = p["name"]
    rule = OVERRIDE.get(verb, {}).get(name)
    if rule:
        return rule
    if name == "rule_array":
        return ("rules", "rule_array_count")
    for suffix in ("_length", "_len", "_ln"):
        if name + suffix in nums:
            return ("len", [name + suffix])
    for strip in STRIP:
        if name.endswith(strip) and name[: -len(strip)] + "_length" in nums:
            return ("len", [name[: -len(strip)] + "_length"])
    if name in FIXED:
        return ("fixed", FIXED[name])
    sys.exit(f"gen-jni: {verb}: no size rule for byte parameter '{name}' (add it to FIXED or OVERRIDE)")


def c_size_exprs(rule, idx):
    """C expressions (strict need, padded need) in terms of the local n[] values."""
    kind = rule[0]
    if kind == "len":
        e = " , ".join(f"n[{idx[p]}]" for p in rule[1])
        return (f"rt_need_len(n[{idx[rule[1][0]]}])" if len(rule[1]) == 1
                else f"rt_need_max({len(rule[1])}, {e})"), "0"
    if kind == "bits":
        return f"rt_need_bits(n[{idx[rule[1]]}])", "0"
    if kind == "count":
        return f"rt_need_count(n[{idx[rule[1]]}], {rule[2]})", "0"
    if kind == "rules":
        return f"rt_need_count(n[{idx[rule[1]]}], {KEYWORD})", str(RULE_OUT_MAX * KEYWORD)
    if kind == "sum":
        return f"rt_need_sum(n[{idx[rule[1][0]]}], n[{idx[rule[1][1]]}])", "0"
    if kind == "fixed":
        return "0", str(rule[1])
    if kind == "lenpad":
        return f"rt_need_len(n[{idx[rule[1]]}])", f"rt_need_pad(n[{idx[rule[1]]}], {rule[2]})"
    raise ValueError(kind)


HEADER_C = """\
/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csulccaj_verbs.c - GENERATED by tools/gen-jni.py from csu/verb_table.def.
 * Do not edit: change the generator (size rules) or the table, then run it.
 *
 * One JNI function per verb: read every hikmNativeNumber, check every byte[]
 * against the bytes the verb may touch (8/72 without calling C when a length
 * says more than the array holds), copy the arrays into native buffers, call
 * the verb, copy the arrays and numbers back.  jni/csulccaj_rt.c does the work.
 */
#include <jni.h>

#include "csulccaj_rt.h"
#include "csulincl.h"
"""


def gen_c(verbs):
    out = [HEADER_C]
    for v in verbs:
        nums = [p["name"] for p in v["params"] if p["kind"] == "num"]
        idx = {n: i for i, n in enumerate(nums)}
        byts = [p for p in v["params"] if p["kind"] == "bytes"]
        jparams = ", ".join(("jobject " if p["kind"] == "num" else "jbyteArray ") + "j_" + p["name"]
                            for p in v["params"])
        out.append(f"\nJNIEXPORT void JNICALL Java_{JAVA_PKG.replace('.', '_')}_{JAVA_CLASS}_{v['name']}J(\n"
                   f"    JNIEnv *env, jobject self, {jparams})\n{{\n    (void)self;\n")
        out.append(f"    jobject nobj[{len(nums)}] = {{{', '.join('j_' + n for n in nums)}}};\n")
        out.append(f"    long n[{len(nums)}];\n    long *np[{len(nums)}];\n")
        out.append(f"    struct rt_bytes b[{len(byts)}];\n")
        out.append(f"    struct rt_call call = {{env, nobj, n, np, {len(nums)}, b, 0}};\n")
        out.append("    if (!rt_begin(&call))\n        return;\n")
        for i, p in enumerate(byts):
            rule = size_rule(v["name"], p, nums)
            strict, pad = c_size_exprs(rule, idx)
            out.append(f"    rt_add(&call, j_{p['name']}, {strict}, {pad}); /* {p['name']}: {rule[0]} */\n")
        out.append("    if (!rt_prepare(&call))\n        return;\n")
        args = []
        bi = 0
        for p in v["params"]:
            if p["kind"] == "num":
                args.append(f"np[{idx[p['name']]}]")
            else:
                args.append(f"b[{bi}].buf" if p["ctype"] != "void *" else f"(void *)b[{bi}].buf")
                bi += 1
        out.append(f"    {v['name']}({', '.join(args)});\n")
        out.append("    rt_finish(&call);\n}\n")
    return "".join(out)


def gen_java(verbs):
    out = [f"""\
// SPDX-License-Identifier: Apache-2.0
// GENERATED by tools/gen-jni.py from csu/verb_table.def. Do not edit.
package {JAVA_PKG};

/**
 * The CCA verbs of libcsulcca as Java native methods, source-compatible with
 * IBM's CCA JNI: each verb is {{@code public native void <VERB>J(...)}} with the
 * C verb's parameters in the same order; every C {{@code long *}} is a
 * {{@link hikmNativeNumber}} and every {{@code unsigned char *}} a {{@code byte[]}}.
 * Results come back through those arguments, exactly as in C.
 *
 * <p>Instances hold no state: one object may be shared by any number of
 * threads.  The native library {{@code csulccaj}} is loaded when the class is
 * initialised (system property {{@code csulccaj.library}} names an absolute
 * path to load instead of searching {{@code java.library.path}}).
 */
public class {JAVA_CLASS} {{
    static {{
        NativeLoader.load();
    }}

    /** Number of verbs declared here (the C library's export list). */
    public static final int VERB_COUNT = {len(verbs)};
"""]
    for v in verbs:
        decl = []
        for p in v["params"]:
            t = "hikmNativeNumber" if p["kind"] == "num" else "byte[]"
            decl.append(f"        {t} {p['name']}")
        out.append(f"\n    /** {v['name']} ({v['family'].lower()}); see csulincl.h. */\n")
        out.append(f"    public native void {v['name']}J(\n" + ",\n".join(decl) + ");\n")
    out.append("}\n")
    return "".join(out)


def main():
    verbs = parse_table(TABLE)
    files = {C_OUT: gen_c(verbs), JAVA_OUT: gen_java(verbs)}
    if "--check" in sys.argv[1:]:
        stale = [f for f, text in files.items()
                 if not os.path.exists(f) or open(f, encoding="utf-8").read() != text]
        for f in stale:
            print(f"gen-jni: {os.path.relpath(f, ROOT)} differs from the generator's output; "
                  "run tools/gen-jni.py", file=sys.stderr)
        return 1 if stale else 0
    for f, text in files.items():
        os.makedirs(os.path.dirname(f), exist_ok=True)
        with open(f, "w", encoding="utf-8") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
