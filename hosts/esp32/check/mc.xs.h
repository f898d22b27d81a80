/* mcconfig's generated key table: the identifiers xsmeter's native C names. */
#pragma once
#include "xs.h"
enum { xsID_bitrate = -32000, xsID_dlc, xsID_flags, xsID_id, xsID_onError, xsID_onReadable, xsID_rx, xsID_tx };
