// Iterator over stored events, in the style of rocksdb::Iterator: check
// Valid(), read event(), call Next(); when Valid() turns false, status() says
// whether the end was reached (OK) or an error stopped the walk.
#pragma once

#include "absl/status/status.h"
#include "demarche/v1/event.pb.h"

namespace demarche::ledger {

class EventIterator {
 public:
  virtual ~EventIterator() = default;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  // The current event. Requires Valid(); the reference lives until Next().
  virtual const v1::Event& event() const = 0;
  // Moves the current event out (requires Valid(); event() is then
  // unspecified until Next()). By default a copy.
  virtual v1::Event TakeEvent() { return event(); }
  // Exchanges the current event with *out (requires Valid(); event() is then
  // unspecified until Next()). A reader that hands back events it is done
  // with lets the iterator parse the next ones into their storage. By
  // default *out = TakeEvent().
  virtual void SwapEvent(v1::Event* out) { *out = TakeEvent(); }
  virtual absl::Status status() const = 0;
};

}  // namespace demarche::ledger
