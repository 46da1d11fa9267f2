/*
 * test_interrupt_locks.c - the locking rule of the glue contract
 * (include/vscsi/glue.h): completions run in interrupt context and take
 * locks that thread context also takes (the request queue's, the block
 * layer's controller lock), so a lock the driver creates must mask
 * interrupts on the CPU that holds it.
 *
 * The device (the simulator behind the SCSI target model) raises its line
 * interrupt the moment it completes a buffer, which is usually while the
 * driver is still inside the submission that notified it, holding the
 * queue's lock (and, for block requests, the controller's).  The host glue
 * plays one CPU: its locks mask interrupts as the contract asks, so the
 * interrupt waits until the last lock is released; with plain spinlocks
 * (a host that ignores the rule) the handler runs at once and takes a lock
 * thread context holds, which the glue records as the deadlock it would
 * be on hardware.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "support/runner.h"

#include "blk/internal.h"
#include "sim/scsi_target.h"
#include "support/host_glue.h"
#include "virtio_scsi/internal.h"

static unsigned done_count;
static int done_err;

static void on_done(struct vscsi_blk_req *req)
{
	done_count++;
	if (req->result)
		done_err = req->result;
}

/* Blocking and asynchronous block I/O on two queues with interrupts that
 * the device raises from inside the driver's own calls. */
static void io_with_interrupts(void)
{
	struct sim_lun *L = model_add_lun(0, 0, 0, 256, 512);
	for (unsigned i = 0; i < 256 * 512; i++)
		L->data[i] = (uint8_t)(i * 13 + (i >> 9));
	struct bring_up_opts fo = { .max_target = 0, .nrq = 2, .max_sectors = 8,
				    .interrupts = true };
	assert_int_equal(bring_up(&fo), 0);
	struct vscsi_ctrl_info ci;
	vscsi_ctrl_get_info(ctrl, &ci);
	assert_int_equal(ci.intr, VSCSI_INTR_INTX);
	struct vscsi_lun *d = vscsi_lun_find("sda");
	assert_non_null(d);

	static uint8_t b[64 * 512];
	memset(b, 0, sizeof(b));
	assert_int_equal(vscsi_blk_read(d, 0, 64, b), 0); /* 8 commands of 8 blocks */
	assert_memory_equal(b, L->data, sizeof(b));

	/* Asynchronous requests: completions (and the block layer's
	 * bookkeeping under the controller lock) in interrupt context. */
	static uint8_t w[16][4096];
	static struct vscsi_blk_req req[16];
	static struct vscsi_sg sg[16];
	done_count = 0;
	done_err = 0;
	for (unsigned i = 0; i < 16; i++) {
		memset(w[i], (int)(0x40 + i), sizeof(w[i]));
		sg[i] = (struct vscsi_sg){ w[i], 4096 };
		memset(&req[i], 0, sizeof(req[i]));
		req[i].op = VSCSI_BLK_WRITE;
		req[i].lba = 8 * i;
		req[i].blocks = 8;
		req[i].sg = &sg[i];
		req[i].sg_count = 1;
		req[i].done = on_done;
		assert_int_equal(vscsi_blk_submit(d, &req[i]), 0);
	}
	for (unsigned spin = 0; spin < 1000000 && done_count < 16; spin++)
		vscsi_poll(ctrl);
	assert_int_equal(done_count, 16);
	assert_int_equal(done_err, 0);
	for (unsigned i = 0; i < 16; i++)
		assert_memory_equal(L->data + 4096 * i, w[i], 4096);
}

/* The contract's rule holds for the driver: with interrupt-masking locks,
 * no lock is ever taken in interrupt context while thread context holds
 * it; interrupts did arrive while locks were held (the case the rule is
 * for) and their handlers did take locks. */
static void test_masking_locks_no_deadlock(void **state)
{
	(void)state;
	io_with_interrupts();
	assert_int_equal(host_glue_lock_violations(), 0);
	assert_true(host_glue_irqs_deferred() > 0);
	assert_true(host_glue_irqs_delivered() > 0);
	assert_true(host_glue_irq_lock_acquires() > 0);
	assert_int_equal(model.sim.driver_errors, 0);
	tear_down();
}

/* Why the rule is needed: the same I/O with plain spinlocks deadlocks (the
 * glue counts the lock an interrupt handler takes while thread context on
 * the same CPU holds it). */
static void test_plain_locks_would_deadlock(void **state)
{
	(void)state;
	host_glue_plain_locks(true);
	struct sim_lun *L = model_add_lun(0, 0, 0, 256, 512);
	(void)L;
	struct bring_up_opts fo = { .max_target = 0, .interrupts = true };
	assert_int_equal(bring_up(&fo), 0);
	host_glue_plain_locks(true); /* bring_up re-initialised the glue */
	uint8_t b[512];
	assert_int_equal(vscsi_blk_read(vscsi_lun_find("sda"), 0, 1, b), 0);
	assert_true(host_glue_lock_violations() > 0);
	host_glue_plain_locks(false);
	tear_down();
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_masking_locks_no_deadlock),
		cmocka_unit_test(test_plain_locks_would_deadlock),
	};
	return vs_run_tests(tests, argc, argv);
}
