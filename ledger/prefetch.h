// An EventIterator that reads ahead on a thread of its own, so that reading
// and parsing events overlaps with whatever the caller does with them (a
// replay folds while the next events are read).
#pragma once

#include <cstddef>
#include <memory>

#include "ledger/event_iterator.h"

namespace demarche::ledger {

// Takes `source` over; its events come out in the same order, in batches of
// `batch` read ahead (at most two batches waiting). Destroying the result
// stops the reading thread. `source` must not be used by anything else.
std::unique_ptr<EventIterator> Prefetch(std::unique_ptr<EventIterator> source, size_t batch = 256);

}  // namespace demarche::ledger
