/* fuzzcap.h - the small capture behind fuzz_index: its segment is made the
 * same way at every start of the target (capw is deterministic for the same
 * records and zstd level), so the seed index.db files made from it by
 * fuzz_mkseeds (with real BTF) describe that very segment.
 *
 * Two streams of object 1: "exec" (id 1, struct exec_event, 296 bytes) and
 * "connect" (id 2, struct connect_event, 72 bytes), the layouts of
 * bpf/exec.h and bpf/connect.h; 60 + 20 records in blocks of 4 KiB.
 */
#ifndef BPFREC_FUZZCAP_H
#define BPFREC_FUZZCAP_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "capw.h"

/* btf: the raw BTF of the object (NULL: none), with the two structs. */
__attribute__((unused)) static int fuzzcap_build(const char *dir, const void *btf, uint32_t btf_len)
{
	struct cap_session sess = {
		.host = "fuzzhost", .kernel_release = "6.1.0", .boot_id = "b00t",
		.cmdline = "bpfrec record -o /home/alice/cap -- curl http://10.1.2.3/",
		.tool_version = "bpfrec 0.1.0", .clock_boot_ns = 1000000000ull,
		.clock_real_ns = 1714564800000000000ull, .start_ns = 2000000000ull,
	};
	struct capw *w = capw__create(dir, NULL);
	struct blockbuf *bb = blockbuf__new(4096);
	uint32_t obj = 0, se = 0, sc = 0;
	int rc = -1;

	if (!w || !bb || capw__set_session(w, &sess) ||
	    capw__add_object(w, "probes", "/home/alice/probes.bpf.o", btf, btf_len, &obj))
		goto out;
	struct cap_stream_desc de = { "exec", "ringbuf", obj, "exec_events", "exec_event", 0, 0 };
	struct cap_stream_desc dc = { "connect", "perf", obj, "connect_events", "connect_event", 0, 0 };
	if (capw__add_stream(w, &de, &se) || capw__add_stream(w, &dc, &sc))
		goto out;
	for (uint32_t i = 0; i < 80; i++) {
		uint8_t rec[296];
		uint64_t ts = 2000000000ull + i * 1000;
		uint32_t len, stream, cpu;

		memset(rec, 0, sizeof(rec));
		memcpy(rec, &ts, 8);
		if (i % 4 != 3) {               /* exec_event */
			uint32_t pid = 100 + i % 5, uid = 1000;
			memcpy(rec + 8, &pid, 4);
			memcpy(rec + 12, &pid, 4);
			memcpy(rec + 20, &uid, 4);
			snprintf((char *)rec + 24, 16, "%s", i % 2 ? "bash" : "curl");
			snprintf((char *)rec + 40, 256, "/usr/bin/%s", i % 3 ? "curl" : "ls");
			len = 296, stream = se, cpu = CAP_CPU_UNKNOWN;
		} else {                        /* connect_event */
			uint32_t pid = 100 + i % 5;
			uint16_t fam = 2, port = 80;
			memcpy(rec + 16, &pid, 4);
			memcpy(rec + 20, &pid, 4);
			memcpy(rec + 32, &fam, 2);
			memcpy(rec + 34, &port, 2);
			memcpy(rec + 40, "\0\0\0\0\0\0\0\0\0\0\xff\xff\x0a\x01\x02\x03", 16);
			snprintf((char *)rec + 56, 16, "curl");
			len = 72, stream = sc, cpu = i % 2;
		}
		int r = blockbuf__add(bb, stream, cpu, ts, rec, len);
		if (r == -ENOSPC) {
			if (capw__write_block(w, bb))
				goto out;
			blockbuf__reset(bb);
			r = blockbuf__add(bb, stream, cpu, ts, rec, len);
		}
		if (r)
			goto out;
	}
	if (capw__write_block(w, bb) || capw__add_loss(w, se, 1, 2000050000ull, 4))
		goto out;
	rc = 0;
out:
	blockbuf__free(bb);
	if (w && capw__close(w, 2000100000ull))
		rc = -1;
	return rc;
}

#endif
