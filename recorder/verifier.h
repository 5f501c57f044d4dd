/* verifier.h - libbpf's and the verifier's complaints, in words.
 *
 * libbpf's print hook feeds every line to verifier__keep(); when a load
 * fails, verifier__explain() prints the failing program, its section, the
 * useful lines of the verifier log and a hint for the known cases.
 * Nothing here fails: what is not understood is shown as libbpf said it.
 */
#ifndef BPFREC_VERIFIER_H
#define BPFREC_VERIFIER_H

#include <stddef.h>
#include <stdint.h>

struct bpf_object;
struct btf;

void verifier__reset(void);
void verifier__keep(const char *line);
/* obj may be NULL (open failed).  Prints to stderr. */
void verifier__explain(struct bpf_object *obj, int err);
/* After a failed load: the name of the program that failed (from libbpf's
 * lines since the last reset).  1 with name filled, 0 if not known. */
int verifier__failed_program(char *name, size_t len);
/* Text appended to an attach failure: why, for the known cases ("" if none). */
const char *verifier__attach_hint(const char *sec, int err);

#endif
