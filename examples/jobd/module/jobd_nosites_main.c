// SPDX-License-Identifier: GPL-2.0
/*
 * jobd_nosites.ko: jobd with its hook sites and policy calls compiled out,
 * the bench's baseline for the job path (see jobd_main.c).
 */
#define JOBD_NO_SITES
#include "jobd_main.c"
