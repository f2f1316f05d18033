// The wall clock the ledger stamps records with (UTC).
#pragma once

#include <chrono>

#include <google/protobuf/timestamp.pb.h>

namespace demarche::ledger {

inline google::protobuf::Timestamp NowTimestamp() {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  google::protobuf::Timestamp t;
  t.set_seconds(ns / 1000000000);
  t.set_nanos(static_cast<int32_t>(ns % 1000000000));
  return t;
}

}  // namespace demarche::ledger
