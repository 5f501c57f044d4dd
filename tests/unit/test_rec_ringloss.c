/* test_rec_ringloss.c - recorder/ringloss.c without root: the rewrite of
 * ringbuf calls into counting trampolines, checked instruction by
 * instruction and by running the program before and after through a small
 * interpreter (the subset the trampolines and these programs use), and the
 * search for the map a call's r1 names. */
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "ringloss.h"

#define LD64(d, s, v)                                                       \
	{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = d, .src_reg = s, .imm = v }, \
	{ .imm = 0 }
#define MOVK(dst, v) { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = dst, .imm = v }
#define MOVX(dst, src) { .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = dst, .src_reg = src }
#define CALL(h) { .code = BPF_JMP | BPF_CALL, .imm = h }
#define JEQK(dst, v, o) { .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = dst, .imm = v, .off = o }
#define EXIT { .code = BPF_JMP | BPF_EXIT }

/* A program like clang makes of
 *   e = bpf_ringbuf_reserve(&events, 24, 0); if (!e) return 1; ...; return 2;
 *   if (bpf_ringbuf_output(&other, ...)) return 3; return 4;  */
static const struct bpf_insn prog[] = {
	LD64(1, BPF_PSEUDO_MAP_FD, 7),          /* 0-1 */
	MOVK(2, 24),                            /* 2 */
	MOVK(3, 0),                             /* 3 */
	CALL(RINGLOSS_HELPER_RESERVE),          /* 4 */
	JEQK(0, 0, 7),                          /* 5: NULL -> 13 */
	LD64(6, BPF_PSEUDO_MAP_FD, 9),          /* 6-7 */
	MOVX(1, 6),                             /* 8 */
	MOVK(2, 0),                             /* 9 */
	CALL(RINGLOSS_HELPER_OUTPUT),           /* 10 */
	JEQK(0, 0, 3),                          /* 11: 0 -> 15 */
	MOVK(0, 3),                             /* 12 */
	EXIT,                                   /* 13 (also: reserve failed, r0 = 0) */
	MOVK(0, 1),                             /* 14 (unreached) */
	MOVK(0, 4),                             /* 15 */
	EXIT,                                   /* 16 */
};
#define NPROG (sizeof(prog) / sizeof(prog[0]))

static uint64_t counter[8];

/* Runs insns; reserve fails if fail_reserve, output fails if fail_output. */
static uint64_t run(const struct bpf_insn *in, size_t n, int fail_reserve, int fail_output)
{
	uint64_t r[11] = { 0 };
	static uint8_t slot[64];
	size_t pc = 0, steps = 0;

	while (pc < n && steps++ < 1000) {
		const struct bpf_insn *x = &in[pc];

		switch (x->code) {
		case BPF_LD | BPF_DW | BPF_IMM:
			if (x->src_reg == BPF_PSEUDO_MAP_VALUE) {
				CHECK_EQ_INT(x->imm, 99);
				r[x->dst_reg] = (uint64_t)(uintptr_t)((uint8_t *)counter + in[pc + 1].imm);
			} else {
				r[x->dst_reg] = (uint64_t)x->imm;
			}
			pc += 2;
			continue;
		case BPF_ALU64 | BPF_MOV | BPF_K:
			r[x->dst_reg] = (uint64_t)(int64_t)x->imm;
			break;
		case BPF_ALU64 | BPF_MOV | BPF_X:
			r[x->dst_reg] = r[x->src_reg];
			break;
		case BPF_STX | BPF_ATOMIC | BPF_DW:
			CHECK_EQ_INT(x->imm, BPF_ADD);
			*(uint64_t *)(uintptr_t)(r[x->dst_reg] + x->off) += r[x->src_reg];
			break;
		case BPF_JMP | BPF_JA:
			pc += 1 + x->off;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += 1 + (r[x->dst_reg] == (uint64_t)(int64_t)x->imm ? x->off : 0);
			continue;
		case BPF_JMP | BPF_JNE | BPF_K:
			pc += 1 + (r[x->dst_reg] != (uint64_t)(int64_t)x->imm ? x->off : 0);
			continue;
		case BPF_JMP | BPF_CALL:
			if (x->imm == RINGLOSS_HELPER_RESERVE) {
				CHECK_EQ_INT(r[1], 7);
				r[0] = fail_reserve ? 0 : (uint64_t)(uintptr_t)slot;
			} else {
				CHECK_EQ_INT(r[1], 9);
				r[0] = fail_output ? (uint64_t)-ENOSPC : 0;
			}
			for (int k = 1; k <= 5; k++)
				r[k] = 0xdead;  /* clobbered, as the kernel does */
			break;
		case BPF_JMP | BPF_EXIT:
			return r[0];
		default:
			fprintf(stderr, "insn %zu: code %#x not interpreted\n", pc, x->code);
			exit(1);
		}
		pc++;
	}
	fprintf(stderr, "ran off or looped at %zu\n", pc);
	exit(1);
}

int main(void)
{
	struct bpf_insn *out;
	size_t nout;
	uint32_t sites[4], nsites, nskipped;
	const struct bpf_insn *t;

	CHECK_EQ_INT(ringloss__rewrite(prog, NPROG, 99, 2, &out, &nout, sites, 4, &nsites, &nskipped), 0);
	CHECK_EQ_INT(nsites, 2);
	CHECK_EQ_INT(nskipped, 0);
	CHECK_EQ_INT(nout, NPROG + 2 * RINGLOSS_TRAMPOLINE_INSNS);
	CHECK_EQ_INT(sites[0], 4);
	CHECK_EQ_INT(sites[1], 10);
	/* every original instruction in place but the two calls */
	for (size_t i = 0; i < NPROG; i++)
		if (i != 4 && i != 10)
			CHECK(!memcmp(&out[i], &prog[i], sizeof(prog[i])));
	CHECK_EQ_INT(out[4].code, BPF_JMP | BPF_JA);
	CHECK_EQ_INT(4 + 1 + out[4].off, NPROG);
	t = out + NPROG;
	CHECK(!memcmp(&t[0], &prog[4], sizeof(prog[4])));
	CHECK_EQ_INT(t[1].code, BPF_JMP | BPF_JNE | BPF_K);   /* reserve: NULL fails */
	CHECK_EQ_INT(t[2].src_reg, BPF_PSEUDO_MAP_VALUE);
	CHECK_EQ_INT(t[3].imm, 2 * 8);                        /* slot 2 */
	CHECK_EQ_INT(NPROG + 6 + 1 + t[6].off, 5);            /* back after the call */
	t += RINGLOSS_TRAMPOLINE_INSNS;
	CHECK_EQ_INT(t[1].code, BPF_JMP | BPF_JEQ | BPF_K);   /* output: 0 succeeds */
	CHECK_EQ_INT(t[3].imm, 3 * 8);

	/* Same results, and exactly the failures counted in their slots. */
	for (int fr = 0; fr < 2; fr++)
		for (int fo = 0; fo < 2; fo++) {
			memset(counter, 0, sizeof(counter));
			CHECK_EQ_U64(run(out, nout, fr, fo), run(prog, NPROG, fr, fo));
			CHECK_EQ_U64(counter[2], (uint64_t)fr);
			CHECK_EQ_U64(counter[3], (uint64_t)(!fr && fo));
			CHECK_EQ_U64(counter[0] + counter[1] + counter[4], 0);
		}

	/* The map each call's r1 names: directly, through a move, or unknown. */
	CHECK_EQ_INT(ringloss__r1_map_fd(out, nout, 4), 7);
	CHECK_EQ_INT(ringloss__r1_map_fd(out, nout, 10), 9);
	CHECK_EQ_INT(ringloss__r1_map_fd(out, nout, NPROG), -1);     /* after a jump */
	{
		static const struct bpf_insn after_call[] = {
			LD64(1, BPF_PSEUDO_MAP_FD, 7), CALL(14), MOVK(2, 1), CALL(131), EXIT,
		};
		CHECK_EQ_INT(ringloss__r1_map_fd(after_call, 6, 4), -1);   /* r1 clobbered */
		CHECK_EQ_INT(ringloss__r1_map_fd(after_call, 6, 2), 7);
	}
	CHECK(ringloss__is_ringbuf_call(&prog[4]));
	CHECK(!ringloss__is_ringbuf_call(&prog[3]));
	free(out);

	/* Nothing to rewrite: the same program back. */
	CHECK_EQ_INT(ringloss__rewrite(prog, 4, 99, 0, &out, &nout, NULL, 0, &nsites, &nskipped), 0);
	CHECK_EQ_INT(nout, 4);
	CHECK_EQ_INT(nsites, 0);
	free(out);
	puts("test_rec_ringloss: ok");
	return 0;
}
