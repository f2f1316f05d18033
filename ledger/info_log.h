// RocksDB's info log (the LOG file in the data directory), written so that a
// failed write never stops the server.
//
// RocksDB's own file logger keeps writing to a file after a write to it has
// failed, and Debian's assertion-enabled build aborts on that second write:
// a full disk took the whole server down through its diagnostics. This one
// drops the lines it cannot write and tries again with the next.
#pragma once

#include <memory>
#include <string>

#include <rocksdb/env.h>

namespace demarche::ledger {

// Appends to `dir`/LOG; past `max_bytes` the file moves to LOG.old (one
// generation kept). Thread-safe.
std::shared_ptr<rocksdb::Logger> NewInfoLog(const std::string& dir, size_t max_bytes = 32 << 20);

}  // namespace demarche::ledger
