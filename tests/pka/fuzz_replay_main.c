/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fallback replay main for fuzz_tok_pka.c when tests/fuzz/fuzz_main.c is
 * absent: runs every regular file of the directories (or files) named on
 * the command line through LLVMFuzzerTestOneInput; fails if none was found.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    if (!buf)
        return -1;
    uint8_t *exact = malloc(n ? n : 1); /* exactly sized so ASan sees overreads */
    if (exact) {
        for (size_t i = 0; i < n; i++)
            exact[i] = buf[i];
        LLVMFuzzerTestOneInput(exact, n);
    }
    free(exact);
    free(buf);
    return exact ? 1 : -1;
}

int main(int argc, char **argv)
{
    int count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0)
            return 2;
        if (!S_ISDIR(st.st_mode)) {
            count += run_file(argv[i]) > 0;
            continue;
        }
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
            if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
                count += run_file(path) > 0;
        }
        if (d)
            closedir(d);
    }
    printf("%d inputs replayed\n", count);
    return count > 0 ? 0 : 1;
}
