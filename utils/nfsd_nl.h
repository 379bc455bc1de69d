/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nfsd's layout-recall generic netlink command (nfsd-ext), checked against
 * the running kernel before it is sent.
 */
#ifndef LAYOUTCTL_NFSD_NL_H
#define LAYOUTCTL_NFSD_NL_H

#include <stdint.h>

/*
 * Recalls the layouts of the file open on @fd that overlap @off, @len
 * (UINT64_MAX: to the end) from client @client (0: every client), once
 * the running kernel's nfsd family is found to have layout-recall with the
 * attributes sent. Returns an LC_* code (said on stderr unless LC_OK) and
 * sets *recalled to nfsd's count of the layout stateids recalled.
 */
int lc_nfsd_layout_recall(int fd, uint64_t off, uint64_t len,
			  unsigned int client, int *recalled);

#endif
