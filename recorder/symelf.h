/* symelf.h - what the recorder reads from the ELF files whose code the
 * recorded stacks ran (libelf): the build id, and the function symbols that
 * contain given file offsets, with their start as a file offset too, so
 * that a reader needs neither the file nor its program headers:
 *   frame's file offset = address - mapping start + mapping offset. */
#ifndef BPFREC_SYMELF_H
#define BPFREC_SYMELF_H

#include <stddef.h>
#include <stdint.h>

#define SYMELF_BUILD_ID_MAX 64      /* bytes; GNU build ids are 20 */

struct symelf_sym {
	uint64_t off;                 /* file offset of the symbol's first byte */
	uint64_t size;                /* bytes */
	char *name;                   /* malloc'ed */
};

struct symelf_info {
	char build_id[SYMELF_BUILD_ID_MAX * 2 + 1];   /* hex, "" if the file has none */
	int has_symtab;               /* .symtab (else .dynsym alone, or nothing) */
	int has_dynsym;               /* .dynsym */
	int has_debug_lines;          /* .debug_line present (not read yet) */
};

/* Reads the ELF file open at fd (not closed, position unchanged: pread).
 * offs: file offsets (any order, duplicates fine, may be NULL with n 0);
 * *syms gets the function symbols (STT_FUNC, from .symtab, else .dynsym)
 * that contain at least one of them, sorted by off, no duplicates; free
 * with symelf__free.  0, or -errno (-ENOEXEC: not an ELF file). */
int symelf__read(int fd, const uint64_t *offs, size_t n, struct symelf_info *info,
		 struct symelf_sym **syms, size_t *nsyms);
void symelf__free(struct symelf_sym *syms, size_t n);

/* The build id alone (hex into out, "" if none).  0 or -errno. */
int symelf__build_id(int fd, char *out, size_t outlen);

#endif
