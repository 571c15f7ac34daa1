/* SPDX-License-Identifier: Apache-2.0 */
/* The card's device key (the emulated battery-backed RAM) and sealing under it: card_seal.h. */
#include "card_seal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define KEY_LEN 32u

static void key_path(const char *dir, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", dir, name);
}

static bool read_key(const char *path, uint8_t key[KEY_LEN])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    uint8_t extra;
    ssize_t n = read(fd, key, KEY_LEN);
    bool exact = n == (ssize_t)KEY_LEN && read(fd, &extra, 1) == 0; /* exactly 32 bytes: anything else is damage */
    close(fd);
    if (!exact)
        OPENSSL_cleanse(key, KEY_LEN);
    return exact;
}

/* A new device key, written the way the state is (temporary file, fsync, rename, fsync of the directory). */
static bool make_key(const char *dir, const char *path, uint8_t key[KEY_LEN])
{
    char tmp[PATH_MAX];
    key_path(dir, CARD_SEAL_KEY_FILE ".tmp", tmp, sizeof(tmp));
    if (RAND_priv_bytes(key, KEY_LEN) != 1)
        return false;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, key, KEY_LEN) == (ssize_t)KEY_LEN && fsync(fd) == 0;
    ok = (fd < 0 || close(fd) == 0) && ok;
    /* link, not rename: a key another process made meanwhile is never replaced */
    ok = ok && link(tmp, path) == 0;
    unlink(tmp);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    if (!ok)
        OPENSSL_cleanse(key, KEY_LEN);
    return ok;
}

static csu_err device_key(const char *dir, bool create, uint8_t key[KEY_LEN])
{
    char path[PATH_MAX];
    key_path(dir, CARD_SEAL_KEY_FILE, path, sizeof(path));
    if (read_key(path, key))
        return CSU_OK;
    if (!create || errno != ENOENT)
        return CSU_E_DEV_NAME;
    return make_key(dir, path, key) || read_key(path, key) ? CSU_OK : CSU_E_DEV_NAME;
}

/* One GCM pass; for decryption @p tag is checked, for encryption written. */
static bool gcm(bool enc, const uint8_t key[KEY_LEN], const uint8_t nonce[CARD_SEAL_NONCE], const uint8_t *aad,
                size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[CARD_SEAL_TAG])
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0;
    bool ok = c && len <= INT_MAX && aad_len <= INT_MAX &&
              EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc ? 1 : 0) == 1 &&
              (aad_len == 0 || EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) == 1) &&
              EVP_CipherUpdate(c, out, &n, in, (int)len) == 1 &&
              (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, CARD_SEAL_TAG, tag) == 1) &&
              EVP_CipherFinal_ex(c, out + n, &fin) == 1 &&
              (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, CARD_SEAL_TAG, tag) == 1);
    EVP_CIPHER_CTX_free(c); /* cleanses the key schedule */
    return ok;
}

csu_err card_seal(const char *dir, const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len, uint8_t *out)
{
    uint8_t key[KEY_LEN];
    csu_err err = device_key(dir, true, key);
    if (err != CSU_OK)
        return err;
    bool ok = RAND_bytes(out, CARD_SEAL_NONCE) == 1 &&
              gcm(true, key, out, aad, aad_len, in, len, out + CARD_SEAL_NONCE, out + CARD_SEAL_NONCE + len);
    OPENSSL_cleanse(key, sizeof(key));
    return ok ? CSU_OK : CSU_E_CRYPTO;
}

csu_err card_unseal(const char *dir, const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
                    uint8_t *out)
{
    if (len < CARD_SEAL_OVERHEAD)
        return CSU_E_CRYPTO;
    uint8_t key[KEY_LEN], tag[CARD_SEAL_TAG];
    csu_err err = device_key(dir, false, key);
    if (err != CSU_OK)
        return err;
    size_t body = len - CARD_SEAL_OVERHEAD;
    memcpy(tag, in + CARD_SEAL_NONCE + body, CARD_SEAL_TAG);
    bool ok = gcm(false, key, in, aad, aad_len, in + CARD_SEAL_NONCE, body, out, tag);
    OPENSSL_cleanse(key, sizeof(key));
    if (!ok)
        OPENSSL_cleanse(out, body);
    return ok ? CSU_OK : CSU_E_CRYPTO;
}
