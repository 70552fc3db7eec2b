// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Port I/O devices: the serial console (0x3f8, LSR 0x3fd always reports
 * the transmitter empty), the exit port (0xf4, isa-debug-exit style: the
 * VMM exits with (code << 1) | 1), fw_cfg (0x510 selector / 0x511 data;
 * key 0x05 = CPU count), the PIC mask registers (writes ignored), and the
 * test guests' report port (guest_abi.h).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "vmm.h"

#define COM1 0x3f8
#define FW_CFG_SEL 0x510
#define FW_CFG_DATA 0x511
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_NB_CPUS 0x05

void vmm_stop(struct vmm *vm, int status)
{
	int i;

	pthread_mutex_lock(&vm->lock);
	if (!vm->stop) {
		__atomic_store_n(&vm->stop, true, __ATOMIC_RELEASE);
		vm->status = status;
		vm->t_end_ns = vmm_now_ns();
	}
	pthread_cond_broadcast(&vm->stop_cond);
	pthread_mutex_unlock(&vm->lock);
	for (i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
}

bool vmm_stopping(struct vmm *vm)
{
	return __atomic_load_n(&vm->stop, __ATOMIC_ACQUIRE);
}

/* Called with vm->lock held. */
static void console_emit(struct vmm *vm)
{
	if (!vm->opt.quiet) {
		fwrite(vm->con_line, 1, vm->con_len, stdout);
		fflush(stdout);
	}
	vm->con_len = 0;
}

void console_flush(struct vmm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->con_len)
		console_emit(vm);
	pthread_mutex_unlock(&vm->lock);
}

static void serial_out(struct vmm *vm, uint8_t c)
{
	pthread_mutex_lock(&vm->lock);
	vm->con_line[vm->con_len++] = (char)c;
	if (c == '\n' || vm->con_len == sizeof(vm->con_line))
		console_emit(vm);
	pthread_mutex_unlock(&vm->lock);
}

static uint8_t fw_cfg_byte(struct vmm *vm)
{
	uint8_t b = 0;
	uint32_t off = vm->fw_cfg_off++;

	switch (vm->fw_cfg_key) {
	case FW_CFG_SIGNATURE:
		if (off < 4)
			b = (uint8_t) "QEMU"[off];
		break;
	case FW_CFG_ID:
		b = off == 0 ? 1 : 0;
		break;
	case FW_CFG_NB_CPUS:
		if (off < 2)
			b = (uint8_t)((unsigned)vm->ncpus >> (8 * off));
		break;
	default:
		break;
	}
	return b;
}

/* Copy a guest report (and its samples) out of guest RAM. */
static void guest_report(struct vcpu *v, uint32_t gpa)
{
	struct vmm *vm = v->vm;
	struct guest_report r;

	v->c.io_report++;
	if ((uint64_t)gpa + sizeof(r) > vm->ram_size) {
		fprintf(stderr, "vapic-vmm: report outside RAM (%x)\n", gpa);
		return;
	}
	memcpy(&r, vm->ram + gpa, sizeof(r));
	r.name[GUEST_REPORT_NAME_LEN - 1] = 0;
	if (r.magic != GUEST_REPORT_MAGIC) {
		fprintf(stderr, "vapic-vmm: bad report magic at %x\n", gpa);
		return;
	}
	pthread_mutex_lock(&vm->lock);
	switch (r.type) {
	case GUEST_REPORT_CHECK: {
		struct report_check *c;

		c = realloc(vm->checks, (size_t)(vm->nchecks + 1) * sizeof(*c));
		if (!c)
			break;
		vm->checks = c;
		c = &vm->checks[vm->nchecks++];
		memcpy(c->name, r.name, sizeof(c->name));
		c->cpu = (int)r.cpu;
		c->pass = r.value[0] != 0;
		c->got = r.value[1];
		c->want = r.value[2];
		break;
	}
	case GUEST_REPORT_SAMPLES: {
		struct report_samples *s;
		uint64_t bytes = (uint64_t)r.count * sizeof(int64_t);

		if (r.data_gpa > vm->ram_size ||
		    bytes > vm->ram_size - r.data_gpa) {
			fprintf(stderr, "vapic-vmm: samples outside RAM\n");
			break;
		}
		s = realloc(vm->samples,
			    (size_t)(vm->nsamples + 1) * sizeof(*s));
		if (!s)
			break;
		vm->samples = s;
		s = &vm->samples[vm->nsamples];
		s->v = malloc(bytes ? bytes : 1);
		if (!s->v)
			break;
		vm->nsamples++;
		memcpy(s->name, r.name, sizeof(s->name));
		s->cpu = (int)r.cpu;
		s->n = r.count;
		memcpy(s->v, vm->ram + r.data_gpa, bytes);
		break;
	}
	case GUEST_REPORT_COUNTER: {
		struct report_counter *c;

		c = realloc(vm->counters,
			    (size_t)(vm->ncounters + 1) * sizeof(*c));
		if (!c)
			break;
		vm->counters = c;
		c = &vm->counters[vm->ncounters++];
		memcpy(c->name, r.name, sizeof(c->name));
		c->cpu = (int)r.cpu;
		c->value = r.value[0];
		break;
	}
	case GUEST_REPORT_PHASE:
		break;
	default:
		fprintf(stderr, "vapic-vmm: unknown report type %u\n", r.type);
		break;
	}
	pthread_mutex_unlock(&vm->lock);
}

void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vmm *vm = v->vm;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	uint16_t port = run->io.port;
	uint32_t i, sz = run->io.size;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;

	for (i = 0; i < run->io.count; i++, data += sz) {
		uint32_t val = 0;

		if (out)
			memcpy(&val, data, sz);
		if (port >= COM1 && port < COM1 + 8) {
			v->c.io_serial++;
			if (out && port == COM1)
				serial_out(vm, (uint8_t)val);
			else if (!out)
				data[0] = port == COM1 + 5 ? 0x60 : 0;
			continue;
		}
		switch (port) {
		case GUEST_PORT_EXIT:
			v->c.io_other++;
			if (out) {
				console_flush(vm);
				vmm_stop(vm,
					 (int)(((val & 0x7fffffffU) << 1) | 1));
			}
			break;
		case GUEST_PORT_REPORT:
			if (out && sz == 4)
				guest_report(v, val);
			break;
		case FW_CFG_SEL:
			v->c.io_other++;
			pthread_mutex_lock(&vm->lock);
			if (out) {
				vm->fw_cfg_key = (uint16_t)val;
				vm->fw_cfg_off = 0;
			}
			pthread_mutex_unlock(&vm->lock);
			break;
		case FW_CFG_DATA:
			v->c.io_other++;
			pthread_mutex_lock(&vm->lock);
			if (!out)
				data[0] = fw_cfg_byte(vm);
			pthread_mutex_unlock(&vm->lock);
			break;
		case 0x21:
		case 0xa1:
			/* PIC masks: writes ignored, everything masked. */
			v->c.io_other++;
			if (!out)
				data[0] = 0xff;
			break;
		default:
			v->c.io_other++;
			if (!out)
				memset(data, 0xff, sz);
			break;
		}
	}
}
