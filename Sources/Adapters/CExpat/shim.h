#ifndef BRIDGED_CEXPAT_SHIM_H
#define BRIDGED_CEXPAT_SHIM_H
// The installed expat.h declares the billion-laughs protection setters only under XML_DTD;
// libexpat.so.1 exports them, so declare the feature before including the header.
#ifndef XML_DTD
#define XML_DTD 1
#endif
#include <expat.h>
#endif
