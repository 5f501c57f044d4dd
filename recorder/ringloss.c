/* ringloss.c - exact loss counts for ringbufs whose programs do not count
 * them.  See ringloss.h for the contract and the method.
 *
 * A trampoline, for the call at instruction i, appended at t:
 *   i:    ja t                          (was: call helper)
 *   t+0:  call helper
 *   t+1:  if r0 != 0 goto t+6           (reserve: NULL is the failure)
 *         if r0 == 0 goto t+6           (output, reserve_dynptr: 0 is success)
 *   t+2:  r1 = &counter_value + 8*slot  (ld_imm64, BPF_PSEUDO_MAP_VALUE)
 *   t+4:  r2 = 1
 *   t+5:  lock *(u64 *)(r1 + 0) += r2
 *   t+6:  ja i+1
 * r0 (the helper's result) is untouched; r1-r5 are dead after a helper
 * call (the verifier refuses any read of them), so using r1 and r2 changes
 * nothing the program can see.
 */
#include "ringloss.h"
#include "util.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Counter slots per object (u64 each, in one array map value). */
#define RINGLOSS_MAX_SITES 4096
/* Instructions walked back from a call looking for its map. */
#define RINGLOSS_MAX_BACKTRACK 256

#define LD_IMM64 (BPF_LD | BPF_DW | BPF_IMM)

int ringloss__is_ringbuf_call(const struct bpf_insn *insn)
{
	return insn->code == (BPF_JMP | BPF_CALL) && insn->src_reg == 0 &&
	       (insn->imm == RINGLOSS_HELPER_OUTPUT || insn->imm == RINGLOSS_HELPER_RESERVE ||
		insn->imm == RINGLOSS_HELPER_RESERVE_DYNPTR);
}

int ringloss__rewrite(const struct bpf_insn *in, size_t n, int map_fd, uint32_t first_slot,
		      struct bpf_insn **out, size_t *nout, uint32_t *site_insn, uint32_t max_sites,
		      uint32_t *nsites, uint32_t *nskipped)
{
	size_t i, calls = 0, pos = n;
	struct bpf_insn *o;

	*out = NULL;
	*nout = 0;
	*nsites = *nskipped = 0;
	for (i = 0; i < n; i++) {
		if (in[i].code == LD_IMM64)
			i++;
		else if (ringloss__is_ringbuf_call(&in[i]))
			calls++;
	}
	o = malloc((n + calls * RINGLOSS_TRAMPOLINE_INSNS) * sizeof(*o) + 1);
	if (!o)
		return -ENOMEM;
	memcpy(o, in, n * sizeof(*o));
	for (i = 0; i < n; i++) {
		struct bpf_insn *t = o + pos;
		long to = (long)pos - (long)(i + 1);
		long back = (long)(i + 1) - (long)(pos + RINGLOSS_TRAMPOLINE_INSNS);
		uint32_t slot = first_slot + *nsites;

		if (in[i].code == LD_IMM64) {
			i++;
			continue;
		}
		if (!ringloss__is_ringbuf_call(&in[i]))
			continue;
		if (to > INT16_MAX || back < INT16_MIN || slot >= RINGLOSS_MAX_SITES) {
			(*nskipped)++;
			continue;
		}
		memset(t, 0, RINGLOSS_TRAMPOLINE_INSNS * sizeof(*t));
		t[0] = in[i];
		t[1].code = BPF_JMP | (in[i].imm == RINGLOSS_HELPER_RESERVE ? BPF_JNE : BPF_JEQ) | BPF_K;
		t[1].dst_reg = BPF_REG_0;
		t[1].off = 4;
		t[2].code = LD_IMM64;
		t[2].dst_reg = BPF_REG_1;
		t[2].src_reg = BPF_PSEUDO_MAP_VALUE;
		t[2].imm = map_fd;
		t[3].imm = (int32_t)(slot * sizeof(uint64_t));
		t[4].code = BPF_ALU64 | BPF_MOV | BPF_K;
		t[4].dst_reg = BPF_REG_2;
		t[4].imm = 1;
		t[5].code = BPF_STX | BPF_ATOMIC | BPF_DW;
		t[5].dst_reg = BPF_REG_1;
		t[5].src_reg = BPF_REG_2;
		t[5].imm = BPF_ADD;
		t[6].code = BPF_JMP | BPF_JA;
		t[6].off = (int16_t)back;
		memset(&o[i], 0, sizeof(o[i]));
		o[i].code = BPF_JMP | BPF_JA;
		o[i].off = (int16_t)to;
		if (site_insn && *nsites < max_sites)
			site_insn[*nsites] = (uint32_t)i;
		(*nsites)++;
		pos += RINGLOSS_TRAMPOLINE_INSNS;
	}
	*out = o;
	*nout = pos;
	return 0;
}

int ringloss__r1_map_fd(const struct bpf_insn *insns, size_t n, size_t idx)
{
	uint8_t reg = BPF_REG_1;
	size_t steps = 0;
	size_t j = idx < n ? idx : n;

	while (j-- > 0 && steps++ < RINGLOSS_MAX_BACKTRACK) {
		const struct bpf_insn *x;
		uint8_t cls;

		/* the second half of an ld_imm64 reads as code 0 */
		if (j > 0 && insns[j].code == 0 && insns[j - 1].code == LD_IMM64)
			j--;
		x = &insns[j];
		cls = BPF_CLASS(x->code);
		if (x->code == LD_IMM64) {
			if (x->dst_reg == reg)
				return x->src_reg == BPF_PSEUDO_MAP_FD ? x->imm : -1;
			continue;
		}
		if (cls == BPF_JMP || cls == BPF_JMP32)
			return -1;      /* a call clobbers r1-r5; a jump ends the run */
		if ((cls == BPF_ALU64 || cls == BPF_ALU || cls == BPF_LDX || cls == BPF_LD) &&
		    x->dst_reg == reg) {
			if (x->code == (BPF_ALU64 | BPF_MOV | BPF_X)) {
				reg = x->src_reg;
				continue;
			}
			return -1;
		}
	}
	return -1;
}

/* ---- an object's counters ---- */

struct rl_site {
	struct bpf_program *prog;
	uint32_t insn;                  /* the call's index in the program */
	const struct bpf_map *map;      /* the ringbuf, after attribution */
	uint64_t seen;                  /* count already reported */
};

struct rl_prog {
	struct bpf_program *prog;
	uint32_t orig_insns;            /* before the trampolines */
	uint32_t ntramp;                /* trampolines appended */
};

struct rl_map {
	const struct bpf_map *map;
	int exact;
};

struct ringloss {
	struct bpf_object *obj;
	const char *obj_name;
	int fd;                         /* the counter map */
	struct rl_site *sites;
	uint32_t nsites;
	struct rl_prog *progs;
	size_t nprogs;
	struct rl_map *maps;            /* the object's ringbufs */
	size_t nmaps;
	uint64_t *vals;                 /* nsites, for polling */
};

static size_t count_calls(const struct bpf_program *prog)
{
	const struct bpf_insn *in = bpf_program__insns(prog);
	size_t i, n = bpf_program__insn_cnt(prog), calls = 0;

	for (i = 0; i < n; i++) {
		if (in[i].code == LD_IMM64)
			i++;
		else if (ringloss__is_ringbuf_call(&in[i]))
			calls++;
	}
	return calls;
}

static struct rl_map *map_entry(struct ringloss *rl, const struct bpf_map *m)
{
	size_t i;

	for (i = 0; i < rl->nmaps; i++)
		if (rl->maps[i].map == m)
			return &rl->maps[i];
	return NULL;
}

struct ringloss *ringloss__prepare(struct bpf_object *obj, const char *obj_name)
{
	struct ringloss *rl = calloc(1, sizeof(*rl));
	struct bpf_program *prog;
	struct bpf_map *map;
	size_t total = 0, nprogs = 0;
	int err = 0;

	if (!rl)
		return NULL;
	rl->obj = obj;
	rl->obj_name = obj_name;
	rl->fd = -1;
	bpf_object__for_each_map(map, obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF)
			rl->nmaps++;
	bpf_object__for_each_program(prog, obj) {
		nprogs++;
		if (bpf_program__autoload(prog))
			total += count_calls(prog);
	}
	if (!rl->nmaps) {
		err = -ENOENT;
		goto fail;
	}
	if (total > RINGLOSS_MAX_SITES)
		total = RINGLOSS_MAX_SITES;
	rl->maps = calloc(rl->nmaps, sizeof(*rl->maps));
	rl->sites = calloc(total ? total : 1, sizeof(*rl->sites));
	rl->progs = calloc(nprogs ? nprogs : 1, sizeof(*rl->progs));
	rl->vals = calloc(total ? total : 1, sizeof(*rl->vals));
	if (!rl->maps || !rl->sites || !rl->progs || !rl->vals) {
		err = -ENOMEM;
		goto fail;
	}
	rl->nmaps = 0;
	bpf_object__for_each_map(map, obj)
		if (bpf_map__type(map) == BPF_MAP_TYPE_RINGBUF)
			rl->maps[rl->nmaps++] = (struct rl_map){ map, 1 };
	if (!total)
		return rl;      /* nothing to count; ringloss__attribute still looks */
	rl->fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bpfrec_rblost", sizeof(uint32_t),
				total * sizeof(uint64_t), 1, NULL);
	if (rl->fd < 0) {
		err = -errno;
		warn_msg("%s: cannot create the map that counts ringbuf failures: %s", obj_name,
			 strerror(-err));
		goto fail;
	}
	bpf_object__for_each_program(prog, obj) {
		uint32_t site_insn[RINGLOSS_MAX_SITES], n, skipped, k;
		struct bpf_insn *out;
		size_t nout;

		if (!bpf_program__autoload(prog) || !count_calls(prog))
			continue;
		err = ringloss__rewrite(bpf_program__insns(prog), bpf_program__insn_cnt(prog), rl->fd,
					rl->nsites, &out, &nout, site_insn,
					RINGLOSS_MAX_SITES - rl->nsites, &n, &skipped);
		if (err)
			goto fail;
		rl->progs[rl->nprogs++] = (struct rl_prog){ prog, bpf_program__insn_cnt(prog), n };
		err = n ? bpf_program__set_insns(prog, out, nout) : 0;
		free(out);
		if (err) {
			warn_msg("%s: program %s: cannot add the ringbuf loss counters: %s",
				 obj_name, bpf_program__name(prog), strerror(-err));
			goto fail;
		}
		for (k = 0; k < n; k++)
			rl->sites[rl->nsites++] = (struct rl_site){ prog, site_insn[k], NULL, 0 };
	}
	return rl;
fail:
	ringloss__free(rl);
	errno = -err;
	return NULL;
}

/* The ringbuf whose fd r1 holds at insn of the loaded prog, or NULL. */
static const struct bpf_map *map_at(struct ringloss *rl, const struct bpf_program *prog,
				    size_t insn)
{
	int fd = ringloss__r1_map_fd(bpf_program__insns(prog), bpf_program__insn_cnt(prog), insn);
	size_t i;

	for (i = 0; fd >= 0 && i < rl->nmaps; i++)
		if (bpf_map__fd(rl->maps[i].map) == fd)
			return rl->maps[i].map;
	return rl->nmaps == 1 ? rl->maps[0].map : NULL;
}

/* A ringbuf call bpfrec did not rewrite: its map's loss is unobservable. */
static void uncounted(struct ringloss *rl, const struct bpf_program *prog, size_t insn)
{
	const struct bpf_map *m = map_at(rl, prog, insn);
	struct rl_map *e = m ? map_entry(rl, m) : NULL;
	size_t i;

	if (e) {
		e->exact = 0;
		return;
	}
	for (i = 0; i < rl->nmaps; i++)
		rl->maps[i].exact = 0;
}

int ringloss__attribute(struct ringloss *rl)
{
	struct bpf_program *prog;
	uint32_t i;

	for (i = 0; i < rl->nsites; i++) {
		struct rl_site *s = &rl->sites[i];

		s->map = map_at(rl, s->prog, s->insn);
		if (!s->map) {
			/* counted, but not per map: no ringbuf's own count is known */
			uncounted(rl, s->prog, s->insn);
			s->map = rl->maps[0].map;
		}
	}
	/* Calls left as they were: subprograms libbpf appended, sites skipped. */
	bpf_object__for_each_program(prog, rl->obj) {
		const struct bpf_insn *in = bpf_program__insns(prog);
		size_t n = bpf_program__insn_cnt(prog), j, k, tramp_lo = 0, tramp_hi = 0;

		if (!bpf_program__autoload(prog) || bpf_program__fd(prog) < 0)
			continue;
		for (k = 0; k < rl->nprogs; k++)
			if (rl->progs[k].prog == prog) {
				tramp_lo = rl->progs[k].orig_insns;
				tramp_hi = tramp_lo + rl->progs[k].ntramp * RINGLOSS_TRAMPOLINE_INSNS;
			}
		for (j = 0; j < n; j++) {
			if (in[j].code == LD_IMM64) {
				j++;
				continue;
			}
			if (ringloss__is_ringbuf_call(&in[j]) &&
			    !(j >= tramp_lo && j < tramp_hi && (j - tramp_lo) % RINGLOSS_TRAMPOLINE_INSNS == 0))
				uncounted(rl, prog, j);
		}
	}
	return 0;
}

int ringloss__exact(const struct ringloss *rl, const struct bpf_map *map)
{
	size_t i;

	for (i = 0; rl && i < rl->nmaps; i++)
		if (rl->maps[i].map == map)
			return rl->maps[i].exact;
	return 1;
}

int ringloss__poll(struct ringloss *rl, void (*fn)(const struct bpf_map *map, uint64_t delta,
						    void *ctx), void *ctx)
{
	uint32_t key = 0, i;

	if (!rl || !rl->nsites)
		return 0;
	if (bpf_map_lookup_elem(rl->fd, &key, rl->vals))
		return -errno;
	for (i = 0; i < rl->nsites; i++) {
		struct rl_site *s = &rl->sites[i];

		if (rl->vals[i] > s->seen && s->map) {
			fn(s->map, rl->vals[i] - s->seen, ctx);
			s->seen = rl->vals[i];
		}
	}
	return 0;
}

void ringloss__free(struct ringloss *rl)
{
	if (!rl)
		return;
	if (rl->fd >= 0)
		close(rl->fd);
	free(rl->sites);
	free(rl->progs);
	free(rl->maps);
	free(rl->vals);
	free(rl);
}
