/*
 * wire.h - virtio-scsi structures exactly as they travel in the rings
 * (virtio 1.2 §5.6).
 *
 * Every field is an array of bytes, so the structures have alignment 1 and
 * no padding without any compiler attribute; the _Static_asserts pin the
 * sizes.  The sizes matter: QEMU takes the first device-readable
 * bytes as the request header and everything after them as data-out, and
 * the first device-writable bytes as the response, so a padded header is
 * read as data and a short one makes QEMU mark the device broken (it
 * stops processing the queue until a reset).  Multi-byte fields are
 * little-endian on the modern interface (virtio 1.2 §5.6); the legacy
 * interface is guest-endian, which is little-endian on every host this
 * driver runs on (x86-64).  Read and write them with the vs_le and
 * vs_put_le accessors of util/byteorder.h only.
 *
 * Only drv/virtio_scsi and the tests' simulated device include this file.
 */
#ifndef VSCSI_DRV_VIRTIO_SCSI_WIRE_H
#define VSCSI_DRV_VIRTIO_SCSI_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Feature bits (virtio 1.2 §5.6.3). */
#define VIRTIO_SCSI_F_INOUT 0
#define VIRTIO_SCSI_F_HOTPLUG 1
#define VIRTIO_SCSI_F_CHANGE 2
#define VIRTIO_SCSI_F_T10_PI 3

#define VIRTIO_ID_SCSI 8

/* Sizes the driver asks for, and the spec defaults (virtio 1.2 §5.6.4). */
#define VIRTIO_SCSI_CDB_SIZE 32
#define VIRTIO_SCSI_SENSE_SIZE 96

/* Queue indices (virtio 1.2 §5.6.2). */
#define VIRTIO_SCSI_QUEUE_CONTROL 0
#define VIRTIO_SCSI_QUEUE_EVENT 1
#define VIRTIO_SCSI_QUEUE_REQUEST0 2

/* Device configuration layout (virtio 1.2 §5.6.4), 36 bytes.  Offsets only: the
 * transport reads it field by field with the right width. */
struct virtio_scsi_config {
	uint8_t num_queues[4];
	uint8_t seg_max[4];
	uint8_t max_sectors[4];
	uint8_t cmd_per_lun[4];
	uint8_t event_info_size[4];
	uint8_t sense_size[4];
	uint8_t cdb_size[4];
	uint8_t max_channel[2];
	uint8_t max_target[2];
	uint8_t max_lun[4];
};
_Static_assert(sizeof(struct virtio_scsi_config) == 36, "virtio_scsi_config is 36 bytes");
#define VS_CFG_OFF(field) ((uint32_t)offsetof(struct virtio_scsi_config, field))

/* Command request (virtio 1.2 §5.6.6.1), device-readable, with the default 32-byte
 * CDB: 51 bytes.  When the device keeps another cdb_size the header is
 * 19 + cdb_size bytes with the CDB at the same offset. */
struct virtio_scsi_cmd_req {
	uint8_t lun[8];
	uint8_t id[8];      /* le64 task tag, unique among outstanding commands */
	uint8_t task_attr;  /* 0 SIMPLE */
	uint8_t prio;
	uint8_t crn;
	uint8_t cdb[VIRTIO_SCSI_CDB_SIZE];
};
_Static_assert(sizeof(struct virtio_scsi_cmd_req) == 51, "cmd req is 51 bytes");
#define VIRTIO_SCSI_CMD_REQ_FIXED ((uint32_t)offsetof(struct virtio_scsi_cmd_req, cdb))
_Static_assert(VIRTIO_SCSI_CMD_REQ_FIXED == 19, "CDB at offset 19");

/* Command response (virtio 1.2 §5.6.6.1), device-writable, with the default 96-byte
 * sense: 108 bytes.  Sense starts at offset 12 whatever sense_size is. */
struct virtio_scsi_cmd_resp {
	uint8_t sense_len[4];
	uint8_t residual[4];
	uint8_t status_qualifier[2];
	uint8_t status;
	uint8_t response;
	uint8_t sense[VIRTIO_SCSI_SENSE_SIZE];
};
_Static_assert(sizeof(struct virtio_scsi_cmd_resp) == 108, "cmd resp is 108 bytes");
#define VIRTIO_SCSI_CMD_RESP_FIXED ((uint32_t)offsetof(struct virtio_scsi_cmd_resp, sense))
_Static_assert(VIRTIO_SCSI_CMD_RESP_FIXED == 12, "sense at offset 12");

/* Control queue request types (virtio 1.2 §5.6.6.2). */
#define VIRTIO_SCSI_T_TMF 0
#define VIRTIO_SCSI_T_AN_QUERY 1
#define VIRTIO_SCSI_T_AN_SUBSCRIBE 2

/* Task management function (virtio 1.2 §5.6.6.2): 24 bytes out, 1 byte
 * in.  Never anything else: QEMU reads extra buffers as payload and
 * marks the device broken when both directions carry some. */
struct virtio_scsi_ctrl_tmf_req {
	uint8_t type[4];
	uint8_t subtype[4];
	uint8_t lun[8];
	uint8_t id[8];
};
_Static_assert(sizeof(struct virtio_scsi_ctrl_tmf_req) == 24, "TMF req is 24 bytes");
struct virtio_scsi_ctrl_tmf_resp {
	uint8_t response;
};
_Static_assert(sizeof(struct virtio_scsi_ctrl_tmf_resp) == 1, "TMF resp is 1 byte");

/* Asynchronous notification query / subscribe (virtio 1.2 §5.6.6.2):
 * 16 bytes out, 5 in. */
struct virtio_scsi_ctrl_an_req {
	uint8_t type[4];
	uint8_t lun[8];
	uint8_t event_requested[4];
};
_Static_assert(sizeof(struct virtio_scsi_ctrl_an_req) == 16, "AN req is 16 bytes");
struct virtio_scsi_ctrl_an_resp {
	uint8_t event_actual[4];
	uint8_t response;
};
_Static_assert(sizeof(struct virtio_scsi_ctrl_an_resp) == 5, "AN resp is 5 bytes");

/* Event (virtio 1.2 §5.6.6.3), device-writable, 16 bytes. */
struct virtio_scsi_event {
	uint8_t event[4];
	uint8_t lun[8];
	uint8_t reason[4];
};
_Static_assert(sizeof(struct virtio_scsi_event) == 16, "event is 16 bytes");

#define VIRTIO_SCSI_T_EVENTS_MISSED 0x80000000u
#define VIRTIO_SCSI_T_NO_EVENT 0
#define VIRTIO_SCSI_T_TRANSPORT_RESET 1
#define VIRTIO_SCSI_T_ASYNC_NOTIFY 2
#define VIRTIO_SCSI_T_PARAM_CHANGE 3

#define VIRTIO_SCSI_EVT_RESET_HARD 0
#define VIRTIO_SCSI_EVT_RESET_RESCAN 1
#define VIRTIO_SCSI_EVT_RESET_REMOVED 2

#endif
