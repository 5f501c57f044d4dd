#include "drain.h"
#include "block.h"
#include "losswin.h"
#include "pcring.h"
#include "ringbuf.h"
#include "stage.h"
#include "util.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stddef.h>
#include <linux/perf_event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

/* The rate bytes came into one kernel buffer: its count of bytes written
 * at the start of the current window, and the last whole window's bytes
 * and length (RATE_WINDOW_NS or more; dt_ns 0: none yet). */
struct fillrate {
	uint64_t win_ns, win_bytes;
	uint64_t dt_ns, dbytes;
};

/* Long enough for a rate that a drain pass's jitter does not sway (20
 * passes), short enough to see a burst begin within a few blocks at
 * 8 M events/s. */
#define RATE_WINDOW_NS 20000000ull

/* One drained stream: its buffer (none for a snapshot stream) and its
 * counters, which only this file writes. */
struct source {
	struct drain *d;
	const struct bpfobj_stream *s;
	const struct bpfobj_layout *l;   /* s's, read per record */
	int filtered;             /* the pid filter applies (not a built-in probe's) */
	struct perf_buffer *pb;   /* perf streams */
	/* perf streams: losses from each buffer's lost_samples count
	 * (PERF_FORMAT_LOST), exact and prompt; PERF_RECORD_LOST comes only
	 * with the next sample that fits, and never after the last burst. */
	int lost_fmt;             /* read_format has PERF_FORMAT_LOST */
	int lost_seen;            /* a PERF_RECORD_LOST arrived: read the counts */
	size_t nbuf;
	uint64_t *lost_rec;       /* per buffer: lost_samples already recorded */
	int *buf_cpu;             /* per buffer: its CPU */
	struct rbc rb;            /* ringbuf streams */
	int has_rb;
	int watch_fill;           /* loss unobservable: win notes when it was nearly full */
	struct stage_flush *stage;   /* a staged ringbuf's flush (bpfrec.h) */
	int staged;               /* its records are batches (bpfrec_batch.h) */
	int stage_warned;         /* its flush failed once: said so */
	uint64_t direct_said;     /* events sent past the staging area, said at the end */
	struct pcring *pcring;    /* a per-CPU ring read in place (bpfrec.h) */
	uint64_t pcring_bad;      /* its regions found not adding up */
	int pcring_warned;
	struct losswin win;
	struct fillrate rb_rate, pc_rate;   /* the ring's, the per-CPU rings' */
	uint8_t *filled;          /* l->zero_fill: a record made whole (type_size) */
	struct drain_stats st;    /* the stream's, variants included */
	struct drain_stats *vst;  /* per variant of s (s->nvariants), or NULL */
};

struct drain {
	struct drain_sink sink;
	struct drain_opts o;
	struct source **src;      /* growable; each source stays where it is
				     (the buffers' callbacks hold it) */
	int nsrc, src_cap;
	int epfd;
	int extra_fd;             /* the caller's wake-up fd, once added */
	uint64_t next_tick_ns;    /* CLOCK_MONOTONIC */
	struct drain_pid_filter filter;     /* keep NULL: none */
	struct drain_stack_hook stacks;     /* note NULL: none */
	uint64_t recv_ns;         /* receive time of the current drain pass */
	uint64_t passes;
	uint32_t fill_pm;         /* the fullest ringbuf at the last pass's start */
	uint64_t headroom_ns;     /* drain__headroom_ns at the last pass's start */
	int refreshed;            /* the pid filter's copy was renewed this pass */
	int err;
};

struct drain *drain__new(const struct drain_sink *sink, const struct drain_opts *opts)
{
	struct drain *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->sink = *sink;
	if (opts)
		d->o = *opts;
	if (!d->o.perf_pages)
		d->o.perf_pages = 64;
	if (!d->o.perf_wakeup)
		d->o.perf_wakeup = 64;
	if (!d->o.timer_us)
		d->o.timer_us = 1000;
	d->extra_fd = -1;
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0) {
		int err = errno;

		warn_msg("the drain's epoll: %s", strerror(err));
		free(d);
		errno = err;
		return NULL;
	}
	return d;
}

void drain__set_pid_filter(struct drain *d, const struct drain_pid_filter *f)
{
	d->filter = *f;
}

void drain__set_stack_hook(struct drain *d, const struct drain_stack_hook *h)
{
	d->stacks = *h;
}

static int32_t read_s32(const void *data, uint32_t len, int32_t off)
{
	int32_t v;

	if (off < 0 || len < (uint32_t)off + 4)
		return -1;
	memcpy(&v, (const uint8_t *)data + off, 4);
	return v;
}

static void count_record(struct drain_stats *st, uint32_t len, uint32_t type_size)
{
	if (type_size && len < type_size)
		st->short_events++;   /* kept as is: replay reports it as damaged */
	st->events++;
	st->bytes += len;
}

/* The stream a record belongs to: a map with several event types sends
 * each type to its own stream, by the discriminator's value. */
/* The process-tree filter's answer for a record whose pid/tgid member is
 * at pid_offset (-1: none): 1 to keep it. */
static int kept(struct source *src, int32_t pid_offset, const void *data, uint32_t len)
{
	struct drain *d = src->d;
	uint32_t pid;

	if (!d->filter.keep || !src->filtered || pid_offset < 0 ||
	    len < (uint32_t)pid_offset + 4)
		return 1;
	memcpy(&pid, (const uint8_t *)data + pid_offset, 4);
	if (d->filter.keep(d->filter.ctx, pid))
		return 1;
	/* An unknown pid may be a child forked since the copy was taken: take
	 * a new one, once per pass (the kernel's map already holds every
	 * process whose records are in the buffers now). */
	if (d->refreshed || !d->filter.refresh)
		return 0;
	d->filter.refresh(d->filter.ctx);
	d->refreshed = 1;
	return d->filter.keep(d->filter.ctx, pid);
}

/* A record to the sink.  Its time: its type's ts member (bpfrec_ts_ns,
 * --ts) where it has one, ringbuf and perf records alike, so that the
 * member is the one time a line shows and the encoder keeps it once
 * (TS_AT); else ts (a perf sample's time, or the pass's receive time). */
static void deliver(struct source *src, uint32_t cpu, uint64_t ts, const void *data,
		    uint32_t len)
{
	struct drain *d = src->d;
	const struct bpfobj_layout *s = src->l;
	uint32_t id = s->capture_id, type_size = s->type_size;
	int32_t ts_offset = s->ts_offset, pid_offset = s->pid_offset;
	int32_t ustack_offset = s->ustack_offset, kstack_offset = s->kstack_offset;
	struct drain_stats *vst = NULL;
	int err;

	if (s->discr_size && len >= s->discr_offset + s->discr_size) {
		uint64_t v = 0;
		uint32_t i;

		memcpy(&v, (const uint8_t *)data + s->discr_offset, s->discr_size);
		for (i = 0; i < s->nvariants; i++) {
			if (s->variants[i].value == v) {
				id = s->variants[i].capture_id;
				ts_offset = s->variants[i].ts_offset;
				pid_offset = s->variants[i].pid_offset;
				type_size = s->variants[i].type_size;
				ustack_offset = s->variants[i].ustack_offset;
				kstack_offset = s->variants[i].kstack_offset;
				vst = src->vst ? &src->vst[i] : NULL;
				break;
			}
		}
	}
	if (!kept(src, pid_offset, data, len))
		return;
	if (s->zero_fill && len < type_size && src->filled) {
		/* the producer left out the record's trailing zeros */
		memcpy(src->filled, data, len);
		memset(src->filled + len, 0, type_size - len);
		data = src->filled;
		len = type_size;
	}
	if (ts_offset >= 0 && len >= (uint32_t)ts_offset + 8) {
		memcpy(&ts, (const uint8_t *)data + ts_offset, 8);
		ts += (uint64_t)s->ts_add_ns;   /* --ts MAP=FIELD:mono */
	}
	if (d->stacks.note && (ustack_offset >= 0 || kstack_offset >= 0))
		d->stacks.note(d->stacks.ctx,
			       pid_offset >= 0 ? (uint32_t)read_s32(data, len, pid_offset) : 0,
			       read_s32(data, len, ustack_offset), read_s32(data, len, kstack_offset));
	count_record(&src->st, len, type_size);
	if (vst)
		count_record(vst, len, type_size);
	err = d->sink.append(d->sink.ctx, id, cpu, ts, data, len);
	if (err && !d->err)
		d->err = err;
}

/* n lost of src's stream (variant v, or -1), counted and sent to the sink. */
static void count_loss(struct source *src, int v, uint32_t cpu, uint64_t ts_ns, uint64_t n)
{
	uint32_t id = src->l->capture_id;

	if (v >= 0 && src->vst && (uint32_t)v < src->l->nvariants) {
		id = src->l->variants[v].capture_id;
		src->vst[v].lost += n;
	}
	src->st.lost += n;
	src->d->sink.loss(src->d->sink.ctx, id, cpu, ts_ns, n);
}

static int on_staged(void *ctx, uint32_t cpu, const void *data, uint32_t size)
{
	struct source *src = ctx;

	deliver(src, cpu, src->d->recv_ns, data, size);
	return 0;
}

/* Whether src's records can go to the sink a run at a time: one event
 * type, not looked into for stacks (the common case), and a sink that
 * takes runs (which zero-fills a short record of a zero_fill stream as it
 * copies it: blockbuf_ts.fill_to).  Others go record by record through
 * deliver(). */
static int runs_ok(const struct source *src)
{
	const struct drain *d = src->d;
	const struct bpfobj_layout *l = src->l;

	return d->sink.append_run && !l->discr_size &&
	       !(d->stacks.note && (l->ustack_offset >= 0 || l->kstack_offset >= 0));
}

/* A run of src's records made on cpu to the sink in one call, those the
 * process-tree filter keeps: each one's time from its ts member or the
 * pass's receive time, the counters once.  same_len: every record has this
 * length (0: not known). */
static void send_run(struct source *src, uint32_t cpu, struct blockbuf_rec *recs, uint32_t n,
		     uint32_t same_len)
{
	struct drain *d = src->d;
	const struct bpfobj_layout *l = src->l;
	uint32_t type_size = l->type_size, i, j, nshort = 0;
	int32_t ts_off = l->ts_offset;
	uint64_t bytes = 0;
	int err;

	if (d->filter.keep && src->filtered && l->pid_offset >= 0) {
		/* The filter is asked once per change of pid, not per record:
		 * its answer for a pid holds until its copy of the tree is
		 * renewed (once a pass at most). */
		uint32_t last_kept = 0, pid_end = (uint32_t)l->pid_offset + 4;
		size_t pid_off = (size_t)l->pid_offset;
		int have_kept = 0, refreshed = d->refreshed;

		for (i = j = 0; i < n; i++) {
			uint32_t pid;

			if (recs[i].len >= pid_end) {
				memcpy(&pid, (const uint8_t *)recs[i].data + pid_off, 4);
				if (!have_kept || pid != last_kept || refreshed != d->refreshed) {
					have_kept = 0;
					refreshed = d->refreshed;
					if (!kept(src, l->pid_offset, recs[i].data, recs[i].len))
						continue;
					last_kept = pid;
					have_kept = 1;
				}
			}
			recs[j++] = recs[i];
			/* Then the records of the pid just kept, while none was
			 * dropped (the usual run of one process): one compare
			 * each, left in place (the filter is not asked, so its
			 * copy is not renewed meanwhile). */
			if (!have_kept || j != i + 1)
				continue;
			while (i + 1 < n && recs[i + 1].len >= pid_end) {
				memcpy(&pid, (const uint8_t *)recs[i + 1].data + pid_off, 4);
				if (pid != last_kept)
					break;
				i++;
				j++;
			}
		}
		n = j;
		if (!n)
			return;
		/* (the kept ones: still of one length if all were) */
	}
	/* Each record's time: read by the sink as it copies the record, not
	 * in a pass of its own here. */
	struct blockbuf_ts ts = {
		.off = ts_off,
		.add_ns = (uint64_t)l->ts_add_ns,   /* --ts MAP=FIELD:mono */
		.dflt_ns = d->recv_ns,
		.fill_to = l->zero_fill ? type_size : 0,   /* (stored whole: not short) */
	};
	uint32_t diff = 0;

	if (same_len) {
		/* (the ring's walk found it: no pass over the run here) */
		bytes = (uint64_t)n * (same_len < ts.fill_to ? ts.fill_to : same_len);
		nshort = same_len < type_size && same_len >= ts.fill_to ? n : 0;
	} else {
		for (i = 0; i < n; i++) {
			uint32_t len = recs[i].len;

			bytes += len < ts.fill_to ? ts.fill_to : len;
			nshort += len < type_size && len >= ts.fill_to;
			diff |= len ^ recs[0].len;
		}
		same_len = diff ? 0 : recs[0].len;
	}
	ts.same_len = same_len;   /* (the block buffer's loop for one length) */
	src->st.events += n;
	src->st.bytes += bytes;
	src->st.short_events += nshort;   /* kept as is: replay reports them as damaged */
	err = d->sink.append_run(d->sink.ctx, l->capture_id, cpu, recs, n, &ts);
	if (err && !d->err)
		d->err = err;
}

/* A staged ringbuf's events, gathered from its batches into runs of one
 * CPU's events for send_run. */
struct staged_run {
	struct source *src;
	uint32_t cpu, n;
	struct blockbuf_rec recs[RBC_RUN];
};

static void staged_run_send(struct staged_run *r)
{
	if (r->n)
		send_run(r->src, r->cpu, r->recs, r->n, 0);
	r->n = 0;
}

static int on_staged_run(void *ctx, uint32_t cpu, const void *data, uint32_t size)
{
	struct staged_run *r = ctx;

	if (r->n && (r->n == RBC_RUN || r->cpu != cpu))
		staged_run_send(r);
	r->cpu = cpu;
	r->recs[r->n].data = data;
	r->recs[r->n].len = size;
	r->n++;
	return 0;
}

/* A run of ringbuf records: to the sink in one call (runs_ok), else record
 * by record.  A staged ringbuf's records are batches of one CPU's events
 * each, split back into them; a record that is not a batch (it cannot
 * happen) is kept as it came. */
static int on_ringbuf_run(void *ctx, struct blockbuf_rec *recs, uint32_t n, uint32_t same_len)
{
	struct source *src = ctx;
	struct drain *d = src->d;
	uint32_t i;

	if (src->staged && runs_ok(src)) {
		struct staged_run r = { .src = src };

		for (i = 0; i < n; i++) {
			/* the batch is checked whole before any event is handed out */
			if (stage__split(recs[i].data, recs[i].len, on_staged_run, &r) < 0) {
				staged_run_send(&r);
				send_run(src, CAP_CPU_UNKNOWN, &recs[i], 1, 0);
			}
		}
		staged_run_send(&r);
	} else if (src->staged) {
		for (i = 0; i < n; i++)
			if (stage__split(recs[i].data, recs[i].len, on_staged, src) < 0)
				deliver(src, CAP_CPU_UNKNOWN, d->recv_ns, recs[i].data,
					recs[i].len);
	} else if (runs_ok(src)) {
		send_run(src, CAP_CPU_UNKNOWN, recs, n, same_len);
	} else {
		for (i = 0; i < n; i++)
			deliver(src, CAP_CPU_UNKNOWN, d->recv_ns, recs[i].data, recs[i].len);
	}
	return 0;
}

/* A PERF_RECORD_SAMPLE with PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_RAW. */
struct perf_sample {
	struct perf_event_header hdr;
	uint64_t time;
	uint32_t cpu, res;
	uint32_t size;
	uint8_t data[];      /* at offset 28: sizeof() would say 32 */
} __attribute__((packed));

struct perf_lost {
	struct perf_event_header hdr;
	uint64_t id;
	uint64_t lost;
};

static enum bpf_perf_event_ret on_perf(void *ctx, int cpu, struct perf_event_header *ev)
{
	struct source *src = ctx;

	if (ev->type == PERF_RECORD_SAMPLE) {
		struct perf_sample *s = (struct perf_sample *)ev;

		size_t hdr = offsetof(struct perf_sample, data);

		if (ev->size < hdr || s->size > ev->size - hdr)
			return LIBBPF_PERF_EVENT_CONT;   /* malformed: cannot happen */
		deliver(src, s->cpu, s->time, s->data, s->size);
	} else if (ev->type == PERF_RECORD_LOST) {
		struct perf_lost *l = (struct perf_lost *)ev;

		if (src->lost_fmt) {
			src->lost_seen = 1;   /* counted from lost_samples */
			return LIBBPF_PERF_EVENT_CONT;
		}
		count_loss(src, -1, (uint32_t)cpu, src->d->recv_ns, l->lost);
	}
	return LIBBPF_PERF_EVENT_CONT;
}

/* Records what each perf buffer's lost_samples grew by since the last read:
 * every sample perf could not store, including those a PERF_RECORD_LOST
 * has not reported yet (it waits for the next sample that fits). */
static void perf_lost_sync(struct source *src)
{
	struct { uint64_t value, lost; } v;
	size_t i;

	for (i = 0; i < src->nbuf; i++) {
		int fd = perf_buffer__buffer_fd(src->pb, i);

		if (fd < 0 || read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v) || v.lost <= src->lost_rec[i])
			continue;
		count_loss(src, -1, (uint32_t)src->buf_cpu[i], src->d->recv_ns,
			   v.lost - src->lost_rec[i]);
		src->lost_rec[i] = v.lost;
	}
	src->lost_seen = 0;
}

/* The CPUs libbpf made buffers for, in its order: the online ones. */
static int perf_buf_cpus(struct source *src)
{
	char line[1024], *p = line;
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	size_t n = 0;

	src->nbuf = perf_buffer__buffer_cnt(src->pb);
	src->lost_rec = calloc(src->nbuf ? src->nbuf : 1, sizeof(*src->lost_rec));
	src->buf_cpu = calloc(src->nbuf ? src->nbuf : 1, sizeof(*src->buf_cpu));
	if (!src->lost_rec || !src->buf_cpu) {
		if (f)
			fclose(f);
		return -ENOMEM;
	}
	if (f && fgets(line, sizeof(line), f)) {
		while (*p && n < src->nbuf) {
			char *end;
			long a = strtol(p, &end, 10), b = a;

			if (end == p)
				break;
			if (*end == '-')
				b = strtol(end + 1, &end, 10);
			for (; a <= b && n < src->nbuf; a++)
				src->buf_cpu[n++] = (int)a;
			p = *end == ',' ? end + 1 : end;
		}
	}
	if (f)
		fclose(f);
	for (; n < src->nbuf; n++)
		src->buf_cpu[n] = -1;   /* CAP_CPU_UNKNOWN */
	return 0;
}

/* data.u64: the source index + 1; 0 for the caller's fd. */
static int add_epoll(struct drain *d, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* A new source for s, at d->src[d->nsrc] (not counted in nsrc yet). */
static struct source *new_source(struct drain *d, struct bpfobj *o, struct bpfobj_stream *s)
{
	struct source *src;

	if (d->nsrc == d->src_cap) {
		int cap = d->src_cap ? d->src_cap * 2 : 16;
		struct source **grown = realloc(d->src, (size_t)cap * sizeof(*grown));

		if (!grown)
			return NULL;
		d->src = grown;
		d->src_cap = cap;
	}
	src = calloc(1, sizeof(*src));
	if (!src)
		return NULL;
	src->l = bpfobj_stream__layout(s);
	if ((src->l->nvariants && !(src->vst = calloc(src->l->nvariants, sizeof(*src->vst)))) ||
	    (src->l->zero_fill && !(src->filled = malloc(src->l->type_size)))) {
		free(src->vst);
		free(src);
		return NULL;
	}
	src->d = d;
	src->s = s;
	src->filtered = !bpfobj__builtin(o);
	d->src[d->nsrc] = src;
	return src;
}

static void free_source(struct source *src)
{
	if (!src)
		return;
	if (src->pb)
		perf_buffer__free(src->pb);
	free(src->lost_rec);
	free(src->buf_cpu);
	if (src->has_rb)
		rbc__close(&src->rb);
	stage_flush__free(src->stage);
	pcring__free(src->pcring);
	losswin__free(&src->win);
	free(src->vst);
	free(src->filled);
	free(src);
}

int drain__add_unbuffered(struct drain *d, struct bpfobj *o, struct bpfobj_stream *s)
{
	if (!new_source(d, o, s))
		return -ENOMEM;
	d->nsrc++;
	return 0;
}

int drain__add_ring(struct drain *d, struct bpfobj *o, struct bpfobj_stream *s,
		    const struct rbc *rb, int staged)
{
	struct source *src = new_source(d, o, s);

	if (!src)
		return -ENOMEM;
	src->rb = *rb;
	src->has_rb = 1;
	src->staged = staged;
	d->nsrc++;
	return 0;
}

int drain__add(struct drain *d, struct bpfobj *o, struct bpfobj_stream *s)
{
	enum stream_kind kind = bpfobj_stream__kind(s);
	int map_fd = bpfobj_stream__map_fd(s);
	struct source *src;
	int err;

	if (kind == STREAM_SNAPSHOT)
		return drain__add_unbuffered(d, o, s);
	src = new_source(d, o, s);
	if (!src) {
		err = -ENOMEM;
		goto fail;
	}
	if (kind == STREAM_RINGBUF) {
		err = rbc__open(&src->rb, map_fd);
		if (err)
			goto fail;
		src->has_rb = 1;
		src->watch_fill = bpfobj_stream__loss_unobservable(s);
		{
			int flush_fd, pending_fd, stage_fd;

			if (bpfobj_stream__staging(s, &flush_fd, &pending_fd, &stage_fd) &&
			    !(src->stage = stage_flush__new(flush_fd, pending_fd, stage_fd,
							    libbpf_num_possible_cpus()))) {
				err = -errno;
				goto fail;
			}
			src->staged = src->stage != NULL;
		}
		if (bpfobj_stream__pcring(s) >= 0) {
			src->pcring = pcring__open(bpfobj_stream__pcring(s));
			if (!src->pcring) {
				err = -errno;
				goto fail;
			}
			src->staged = 1;   /* what goes to the ring goes as batches of one */
		}
		/* Edge-triggered: only a producer's wakeup wakes the loop, once;
		 * records submitted with BPF_RB_NO_WAKEUP wait for the tick. */
		err = add_epoll(d, map_fd, EPOLLIN | EPOLLET, (uint64_t)d->nsrc + 1);
		if (err)
			goto fail;
	} else {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.config = PERF_COUNT_SW_BPF_OUTPUT,
			.size = sizeof(attr),
			.sample_type = PERF_SAMPLE_RAW | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU,
			.sample_period = 1,
			.wakeup_events = d->o.perf_wakeup,
			.use_clockid = 1,
			.clockid = CLOCK_BOOTTIME,
			.read_format = PERF_FORMAT_LOST,
		};

		src->pb = perf_buffer__new_raw(map_fd, d->o.perf_pages, &attr, on_perf, src, NULL);
		if (!src->pb && errno == EINVAL) {
			/* Before Linux 6.0: PERF_RECORD_LOST only. */
			attr.read_format = 0;
			src->pb = perf_buffer__new_raw(map_fd, d->o.perf_pages, &attr, on_perf, src,
						       NULL);
		}
		if (!src->pb) {
			err = -errno;
			goto fail;
		}
		src->lost_fmt = attr.read_format != 0;
		if (src->lost_fmt && (err = perf_buf_cpus(src)))
			goto fail;
		err = add_epoll(d, perf_buffer__epoll_fd(src->pb), EPOLLIN, (uint64_t)d->nsrc + 1);
		if (err)
			goto fail;
	}
	d->nsrc++;
	return 0;
fail:
	warn_msg("%s: cannot drain map %s (%s): %s", bpfobj__name(o), bpfobj_stream__map_name(s),
		 kind == STREAM_RINGBUF ? "ringbuf" : "perf event array", strerror(-err));
	free_source(src);
	return err;
}

static struct source *find_source(const struct drain *d, const struct bpfobj_stream *s)
{
	int i;

	for (i = 0; i < d->nsrc; i++)
		if (d->src[i]->s == s)
			return d->src[i];
	return NULL;
}

int drain__append(struct drain *d, const struct bpfobj_stream *s, uint32_t cpu, uint64_t ts_ns,
		  const void *data, uint32_t len)
{
	struct source *src = find_source(d, s);

	if (!src)
		return -ENOENT;
	deliver(src, cpu, ts_ns, data, len);
	return d->err;   /* the sink's first error */
}

void drain__loss(struct drain *d, const struct bpfobj_stream *s, int variant, uint32_t cpu,
		 uint64_t ts_ns, uint64_t n)
{
	struct source *src = find_source(d, s);

	if (src)
		count_loss(src, variant, cpu, ts_ns, n);
}

int drain__stats(const struct drain *d, const struct bpfobj_stream *s, int variant,
		 struct drain_stats *st)
{
	const struct source *src = find_source(d, s);

	if (!src || (variant >= 0 && (!src->vst || (uint32_t)variant >= src->l->nvariants)))
		return -ENOENT;
	*st = variant >= 0 ? src->vst[variant] : src->st;
	return 0;
}

const struct losswin *drain__loss_windows(struct drain *d, const struct bpfobj_stream *s,
					 uint64_t end_ns, uint64_t *ring_bytes)
{
	struct source *src = d ? find_source(d, s) : NULL;

	*ring_bytes = src && src->has_rb ? src->rb.size : 0;
	if (!src || !src->watch_fill)
		return NULL;
	if (end_ns)
		losswin__end(&src->win, end_ns);
	return &src->win;
}

static void on_leftover(void *ctx, int cpu, uint64_t n)
{
	struct source *src = ctx;

	count_loss(src, -1, (uint32_t)cpu, src->d->recv_ns, n);
}

/* A staged ringbuf: what its CPUs hold staged goes to the ring now.  A
 * failure is said once and stops nothing: the events then wait for their
 * batch to fill, and at the end those still staged are counted lost. */
static void flush_staged(struct source *src, int final)
{
	int err = stage_flush__run(src->stage, final);

	if (err && !src->stage_warned) {
		warn_msg("map %s: running its flush program failed: %s (staged events wait for a "
			 "full batch)", bpfobj_stream__map_name(src->s), strerror(-err));
		src->stage_warned = 1;
	}
}

/* A staged ringbuf at the end: the events still staged (a CPU it could
 * not flush) counted lost, and how many went to the ring alone said. */
static int staged_end(struct source *src)
{
	uint64_t direct = 0;
	int err = stage_flush__leftover(src->stage, on_leftover, src, &direct);

	if (!err && direct > src->direct_said) {
		info_msg("map %s: %llu events went to the ring alone, not staged (their CPU's "
			 "staging area was busy: a program interrupted another writing it; or "
			 "they were larger than a batch)", bpfobj_stream__map_name(src->s),
			 (unsigned long long)direct);
		src->direct_said = direct;
	}
	return err;
}

/* A run of one CPU's events from a per-CPU ring, where they lie: to the
 * sink in one call (runs_ok), else event by event. */
static int on_pcring_run(void *ctx, uint32_t cpu, struct blockbuf_rec *recs, uint32_t n,
			 uint32_t same_len)
{
	struct source *src = ctx;
	uint32_t i;

	if (runs_ok(src)) {
		send_run(src, cpu, recs, n, same_len);
	} else {
		for (i = 0; i < n; i++)
			deliver(src, cpu, src->d->recv_ns, recs[i].data, recs[i].len);
	}
	return 0;
}

static long read_pcring(struct source *src, int final)
{
	uint64_t bad = src->pcring_bad;
	long n = pcring__read_runs(src->pcring, on_pcring_run, src, &src->pcring_bad);

	if (src->pcring_bad != bad && !src->pcring_warned) {
		warn_msg("map %s: a CPU's ring read in place did not add up (head, tail or an "
			 "event's length): its events from there were dropped",
			 bpfobj_stream__map_name(src->s));
		src->pcring_warned = 1;
	}
	if (final && n >= 0) {
		uint64_t direct = pcring__direct(src->pcring);

		if (direct > src->direct_said) {
			info_msg("map %s: %llu events went to the ring alone, not in place (their "
				 "CPU's ring was busy: a program interrupted another writing it; or "
				 "they were larger than its largest event)",
				 bpfobj_stream__map_name(src->s), (unsigned long long)direct);
			src->direct_said = direct;
		}
	}
	return n;
}

/* How long, from now, until a buffer with room bytes left is full, at the
 * rate its count of bytes written (written) grew lately: the last whole
 * window's rate, or the current window's if that is higher (a burst seen
 * at once).  0: not known yet, or no room; UINT64_MAX: nothing came. */
static uint64_t time_left(struct fillrate *r, uint64_t written, uint64_t room, uint64_t now)
{
	uint64_t dt = now - r->win_ns, db = written - r->win_bytes;
	double left;

	if (!r->win_ns) {
		r->win_ns = now;
		r->win_bytes = written;
		return 0;
	}
	if (dt >= RATE_WINDOW_NS) {
		r->dt_ns = dt;
		r->dbytes = db;
		r->win_ns = now;
		r->win_bytes = written;
	} else if (r->dt_ns && dt >= RATE_WINDOW_NS / 4 &&
		   (double)db * r->dt_ns > (double)r->dbytes * dt) {
		/* faster now than in the last window */
		left = (double)room * dt / db;
		return left < 1 ? 0 : left >= 1.8e19 ? UINT64_MAX : (uint64_t)left;
	}
	if (!r->dt_ns || !room)
		return 0;
	if (!r->dbytes)
		return UINT64_MAX;
	left = (double)room * r->dt_ns / r->dbytes;
	return left < 1 ? 0 : left >= 1.8e19 ? UINT64_MAX : (uint64_t)left;
}

/* final: read every perf buffer's loss count now (end of recording). */
static int consume_all(struct drain *d, int final)
{
	int i, total = 0;
	long n;

	d->refreshed = 0;
	d->recv_ns = now_boot_ns();
	d->passes++;
	d->fill_pm = 0;
	d->headroom_ns = UINT64_MAX;
	for (i = 0; i < d->nsrc; i++) {
		struct source *src = d->src[i];

		if (src->has_rb) {
			/* before consuming: the fill a failed reserve left, and
			 * the backlog the writers are to know of */
			uint64_t prod = *src->rb.prod, used = prod - *src->rb.cons, left;
			uint32_t pm = used >= src->rb.size ? 1000 :
				      (uint32_t)(used * 1000 / src->rb.size);

			if (pm > d->fill_pm)
				d->fill_pm = pm;
			left = time_left(&src->rb_rate, prod,
					 used >= src->rb.size ? 0 : src->rb.size - used, d->recv_ns);
			if (left < d->headroom_ns)
				d->headroom_ns = left;
			if (src->watch_fill)
				losswin__look(&src->win, used, src->rb.size, d->recv_ns);
			if (src->stage && final) {
				/* room in the ring first, for the last batches */
				n = rbc__consume_runs(&src->rb, on_ringbuf_run, src);
				if (n < 0)
					return (int)n;
				total += (int)n;
			}
			if (src->stage)
				flush_staged(src, final);
			n = rbc__consume_runs(&src->rb, on_ringbuf_run, src);
			if (n < 0)
				return (int)n;
			total += (int)n;
			if (src->stage && final && (n = staged_end(src)) < 0)
				return (int)n;
			if (src->pcring) {
				uint32_t pm = pcring__fill_permille(src->pcring);
				uint64_t written, room;

				if (pm > d->fill_pm)
					d->fill_pm = pm;
				/* (the fullest CPU's room at all CPUs' rate: never
				 * more time than the fullest CPU has) */
				pcring__room(src->pcring, &written, &room);
				left = time_left(&src->pc_rate, written, room, d->recv_ns);
				if (left < d->headroom_ns)
					d->headroom_ns = left;
				n = read_pcring(src, final);
				if (n < 0)
					return (int)n;
				total += (int)n;
			}
		} else if (src->pb) {
			d->headroom_ns = 0;   /* its fill is not seen here */
			n = perf_buffer__consume(src->pb);
			if (n < 0)
				return (int)n;
			/* A read per CPU: when perf said it lost some, every
			 * ~100 passes, and at the end. */
			if (src->lost_fmt && (src->lost_seen || final || d->passes % 128 == 0))
				perf_lost_sync(src);
		}
	}
	if (d->err)
		return d->err;
	return total;
}

/* Sleeps to the next timer tick, then drains everything.  A buffer that
 * wakes the loop earlier is counted (a producer waking per event costs it
 * 5-12 us each: the status line says so) but drained on the tick all the
 * same, so a flood of wakeups never turns this into a busy loop.  The
 * caller's fd (signals) ends the wait at once. */
int drain__poll(struct drain *d, int extra_fd)
{
	struct epoll_event evs[16];
	uint64_t now = now_mono_ns(), tick = d->o.timer_us * 1000ull;
	int i, n;

	if (extra_fd >= 0 && d->extra_fd != extra_fd &&
	    add_epoll(d, extra_fd, EPOLLIN, 0) == 0)
		d->extra_fd = extra_fd;
	if (d->next_tick_ns <= now)
		d->next_tick_ns = now + tick;
	while ((now = now_mono_ns()) < d->next_tick_ns) {
		int ms = (int)((d->next_tick_ns - now + 999999) / 1000000);

		n = epoll_wait(d->epfd, evs, 16, ms);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (i = 0; i < n; i++) {
			if (evs[i].data.u64 == 0)
				return consume_all(d, 0);
			d->src[evs[i].data.u64 - 1]->st.wakeups++;
		}
	}
	d->next_tick_ns += tick;
	return consume_all(d, 0);
}

uint32_t drain__fill_permille(const struct drain *d)
{
	return d->fill_pm;
}

uint64_t drain__headroom_ns(const struct drain *d)
{
	return d->headroom_ns;
}

int drain__final(struct drain *d)
{
	return consume_all(d, 1);
}

void drain__free(struct drain *d)
{
	int i;

	if (!d)
		return;
	for (i = 0; i < d->nsrc; i++)
		free_source(d->src[i]);
	free(d->src);
	close(d->epfd);
	free(d);
}
