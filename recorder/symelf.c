#include "symelf.h"
#include "util.h"
#include "addrsearch.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct seg {
	uint64_t off, vaddr, filesz;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void free_sym(void *sym)
{
	free(((struct symelf_sym *)sym)->name);
}

static int cmp_sym(const void *a, const void *b)
{
	const struct symelf_sym *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->size < y->size ? -1 : x->size > y->size;
}

static Elf *elf_open(int fd)
{
	static int version_set;

	if (!version_set) {
		if (elf_version(EV_CURRENT) == EV_NONE)
			return NULL;
		version_set = 1;
	}
	return elf_begin(fd, ELF_C_READ_MMAP, NULL);
}

static void find_build_id(Elf *e, char *out, size_t outlen)
{
	Elf_Scn *scn = NULL;

	out[0] = 0;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off, next;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		while (d && (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((const char *)d->d_buf + name_off, "GNU", 4) &&
			    nh.n_descsz > 0 && nh.n_descsz <= SYMELF_BUILD_ID_MAX &&
			    outlen > nh.n_descsz * 2) {
				const uint8_t *b = (const uint8_t *)d->d_buf + desc_off;

				for (size_t i = 0; i < nh.n_descsz; i++)
					snprintf(out + 2 * i, 3, "%02x", b[i]);
				return;
			}
			off = next;
		}
	}
}

int symelf__build_id(int fd, char *out, size_t outlen)
{
	Elf *e = elf_open(fd);

	if (!e)
		return -ENOEXEC;
	if (elf_kind(e) != ELF_K_ELF) {
		elf_end(e);
		return -ENOEXEC;
	}
	find_build_id(e, out, outlen);
	elf_end(e);
	return 0;
}

/* File offset -> virtual address through the PT_LOAD segment holding it. */
static int off_to_vaddr(const struct seg *segs, size_t nseg, uint64_t off, uint64_t *vaddr)
{
	for (size_t i = 0; i < nseg; i++)
		if (off >= segs[i].off && off - segs[i].off < segs[i].filesz) {
			*vaddr = off - segs[i].off + segs[i].vaddr;
			return 0;
		}
	return -1;
}

static int vaddr_to_off(const struct seg *segs, size_t nseg, uint64_t vaddr, uint64_t *off)
{
	for (size_t i = 0; i < nseg; i++)
		if (vaddr >= segs[i].vaddr && vaddr - segs[i].vaddr < segs[i].filesz) {
			*off = vaddr - segs[i].vaddr + segs[i].off;
			return 0;
		}
	return -1;
}

struct fsym {
	uint64_t vaddr, size;
	const char *name;
};

static int cmp_fsym(const void *a, const void *b)
{
	const struct fsym *x = a, *y = b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/* The function symbols of one symbol table section. */
static int read_funcs(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, struct fsym **out, size_t *n)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t count, i, k = 0;
	struct fsym *f;

	*out = NULL;
	*n = 0;
	if (!d || !sh->sh_entsize)
		return 0;
	count = sh->sh_size / sh->sh_entsize;
	f = calloc(count ? count : 1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		GElf_Sym s;
		const char *name;

		if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
		    s.st_shndx == SHN_UNDEF || !s.st_size)
			continue;
		name = elf_strptr(e, sh->sh_link, s.st_name);
		if (!name || !*name)
			continue;
		f[k++] = (struct fsym){ s.st_value, s.st_size, name };
	}
	qsort(f, k, sizeof(*f), cmp_fsym);
	*out = f;
	*n = k;
	return 0;
}

int symelf__read(int fd, const uint64_t *offs, size_t n, struct symelf_info *info,
		 struct symelf_sym **syms, size_t *nsyms)
{
	struct seg *segs = NULL;
	struct fsym *funcs = NULL;
	struct symelf_sym *out = NULL;
	uint64_t *sorted = NULL;
	size_t nseg = 0, nfunc = 0, nout = 0, phnum, shstrndx, i;
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL;
	GElf_Shdr symtab_sh, dynsym_sh;
	Elf *e;
	int err = 0;

	memset(info, 0, sizeof(*info));
	*syms = NULL;
	*nsyms = 0;
	e = elf_open(fd);
	if (!e)
		return -ENOEXEC;
	if (elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &phnum) ||
	    elf_getshdrstrndx(e, &shstrndx)) {
		err = -ENOEXEC;
		goto out;
	}
	find_build_id(e, info->build_id, sizeof(info->build_id));
	segs = calloc(phnum ? phnum : 1, sizeof(*segs));
	if (!segs) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD)
			segs[nseg++] = (struct seg){ ph.p_offset, ph.p_vaddr, ph.p_filesz };
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB) {
			symtab = scn;
			symtab_sh = sh;
		} else if (sh.sh_type == SHT_DYNSYM) {
			info->has_dynsym = 1;
			dynsym = scn;
			dynsym_sh = sh;
		}
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".debug_line"))
			info->has_debug_lines = 1;
	}
	info->has_symtab = symtab != NULL;
	if (!n)
		goto out;
	if (symtab)
		err = read_funcs(e, symtab, &symtab_sh, &funcs, &nfunc);
	else if (dynsym)
		err = read_funcs(e, dynsym, &dynsym_sh, &funcs, &nfunc);
	if (err || !nfunc)
		goto out;
	sorted = malloc(n * sizeof(*sorted));
	out = calloc(n, sizeof(*out));
	if (!sorted || !out) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(sorted, offs, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_u64);
	for (i = 0; i < n; i++) {
		uint64_t va, start;
		size_t best;

		if ((i && sorted[i] == sorted[i - 1]) || off_to_vaddr(segs, nseg, sorted[i], &va))
			continue;
		/* The last symbol starting at or before va; aliases share a start,
		 * and any one that holds va names it. */
		best = CAP_ADDR_UPPER(funcs, nfunc, vaddr, va);
		best = best ? best - 1 : nfunc;
		while (best < nfunc && va - funcs[best].vaddr >= funcs[best].size) {
			/* A shorter alias, or a symbol nested in a larger one earlier. */
			if (!best || funcs[best - 1].vaddr + funcs[best - 1].size <= va)
				best = nfunc;
			else
				best--;
		}
		if (best == nfunc || vaddr_to_off(segs, nseg, funcs[best].vaddr, &start))
			continue;
		if (nout && out[nout - 1].off == start)
			continue;
		out[nout].off = start;
		out[nout].size = funcs[best].size;
		out[nout].name = strdup(funcs[best].name);
		if (!out[nout].name) {
			err = -ENOMEM;
			goto out;
		}
		nout++;
	}
	qsort(out, nout, sizeof(*out), cmp_sym);
	/* Two offsets in one symbol, not adjacent after sorting: keep one. */
	nout = drop_repeated_offsets(out, nout, sizeof(*out), free_sym);
out:
	if (err) {
		symelf__free(out, nout);
		out = NULL;
		nout = 0;
	}
	*syms = out;
	*nsyms = nout;
	free(sorted);
	free(funcs);
	free(segs);
	elf_end(e);
	return err;
}

void symelf__free(struct symelf_sym *syms, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(syms[i].name);
	free(syms);
}
