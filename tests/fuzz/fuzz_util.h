// Shared helpers for the libFuzzer targets: a hard check that aborts (so
// libFuzzer records the input), the fixed roster, quiet protobuf logging.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <google/protobuf/stubs/logging.h>

#include "absl/status/status.h"
#include "demarche/v1/scenario.pb.h"
#include "ledger/validate.h"

namespace demarche::fuzz {

[[noreturn]] inline void Fail(const char* what, const char* file, int line,
                              const std::string& detail) {
  std::fprintf(stderr, "FUZZ CHECK FAILED at %s:%d: %s\n%s\n", file, line, what, detail.c_str());
  std::abort();
}

#define FUZZ_CHECK(cond, detail)                                            \
  do {                                                                      \
    if (!(cond)) ::demarche::fuzz::Fail(#cond, __FILE__, __LINE__, detail); \
  } while (0)

inline std::string Str(const absl::Status& s) { return s.ToString(); }

inline bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Debian's abseil has its own string_view.
inline bool MessageStartsWith(const absl::Status& s, std::string_view prefix) {
  return StartsWith(std::string(s.message()), prefix);
}

// Protobuf logs every rejected string (invalid UTF-8) at ERROR: silence it,
// it is noise at millions of inputs.
inline void QuietProtobuf() { google::protobuf::SetLogHandler(nullptr); }

// The Six Party roster plus the two parties the bundled record adds.
inline constexpr const char* kRosterCodes[] = {"PRK", "USA", "CHN", "JPN",
                                               "RUS", "KOR", "GBR", "LBY"};

inline ledger::Roster DefaultRoster() {
  return ledger::Roster(std::begin(kRosterCodes), std::end(kRosterCodes));
}

inline v1::Scenario FuzzScenario(const std::string& name) {
  v1::Scenario s;
  s.set_name(name);
  for (const char* code : kRosterCodes) {
    v1::Party* p = s.add_roster();
    p->set_code(code);
    p->set_name(code);
    p->set_kind(v1::PARTY_KIND_STATE);
  }
  return s;
}

}  // namespace demarche::fuzz

// libFuzzer's entry points (replay_main.cc provides a main for g++ builds).
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
