/* host.h - the host table handed to every plugin's open() and check(). */
#ifndef WEIR_HOST_H
#define WEIR_HOST_H

#include <weir/plugin.h>

extern const weir_host weir_host_table;

#endif
