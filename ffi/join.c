/* Joining a running container's namespaces (rr exec): filled in with issue 4. */
#include "rr_internal.h"
