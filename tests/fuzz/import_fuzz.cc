// Fuzz target: the JSON Lines importer against a real ledger (RocksDB in a
// temp directory made once per process, recreated every kResetEvery inputs).
// Each input gets a fresh scenario, so the outcome depends on the input only.
// The input is imported into "main" (strict rules) and into "what-if" (a fork
// of main after seq 0). Checks: no crash; an error names the line
// ("line N: ..." / "lines A-B: ...") and writes nothing (the RocksDB sequence
// number does not move, the head stays 0); a success verifies, and importing
// the same input again, or the branch's own export, writes nothing.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "fuzz_util.h"
#include "ledger/import.h"
#include "ledger/rocks_ledger.h"

namespace demarche::fuzz {
namespace {

using namespace demarche::ledger;

constexpr uint64_t kResetEvery = 1000;
constexpr size_t kMaxInput = 256 * 1024;

struct State {
  std::string dir;
  std::unique_ptr<Ledger> ledger;
  uint64_t inputs = 0;
};

State& S() {
  static State* state = new State();
  return *state;
}

void Open() {
  State& s = S();
  s.ledger.reset();
  std::error_code ec;
  std::filesystem::remove_all(s.dir, ec);
  Options o;
  o.sync = false;
  o.block_cache_bytes = 4 << 20;
  o.max_event_bytes = 4096;  // small, so the size limit is reachable
  auto opened = Ledger::Open(s.dir, o);
  FUZZ_CHECK(opened.ok(), Str(opened.status()));
  s.ledger = *std::move(opened);
}

uint64_t SequenceNumber() {
  return dynamic_cast<RocksLedger&>(*S().ledger).store_for_testing().db->GetLatestSequenceNumber();
}

uint64_t Head(const std::string& scenario, const std::string& branch) {
  auto b = S().ledger->GetBranch(scenario, branch);
  FUZZ_CHECK(b.ok(), Str(b.status()));
  return b->head_seq();
}

absl::StatusOr<ImportResult> Import(const std::string& scenario, const std::string& branch,
                                    const std::string& text) {
  std::istringstream in(text);
  ImportOptions o;
  o.batch_size = 10000;  // one batch: an error means nothing was written
  o.recorded_by = "fuzz";
  return ImportJsonLines(*S().ledger, scenario, branch, in, o);
}

void ImportInto(const std::string& scenario, const std::string& branch, const std::string& text) {
  Ledger& ledger = *S().ledger;
  const uint64_t before = SequenceNumber();
  auto r = Import(scenario, branch, text);
  if (!r.ok()) {
    const auto code = r.status().code();
    FUZZ_CHECK(code == absl::StatusCode::kInvalidArgument ||
                   code == absl::StatusCode::kResourceExhausted ||
                   code == absl::StatusCode::kAlreadyExists,
               Str(r.status()));
    FUZZ_CHECK(MessageStartsWith(r.status(), "line"), Str(r.status()));
    FUZZ_CHECK(SequenceNumber() == before, "a failed import wrote: " + Str(r.status()));
    FUZZ_CHECK(Head(scenario, branch) == 0, "a failed import moved the head");
    return;
  }
  FUZZ_CHECK(r->totals.appended == r->totals.events && r->totals.already_present == 0,
             "fresh branch, yet events were already present");
  FUZZ_CHECK(r->head_seq == r->totals.appended && Head(scenario, branch) == r->head_seq, "head");
  auto v = ledger.Verify(scenario, branch);
  FUZZ_CHECK(v.ok() && v->ok && v->checked == r->head_seq, v.ok() ? v->reason : Str(v.status()));

  // Idempotent: the same input again, and the branch's export, write nothing.
  const uint64_t written = SequenceNumber();
  auto again = Import(scenario, branch, text);
  FUZZ_CHECK(again.ok(), Str(again.status()));
  FUZZ_CHECK(again->totals.appended == 0 && again->totals.already_present == r->totals.events,
             "re-import appended");
  std::ostringstream exported;
  auto n = ExportJsonLines(ledger, scenario, branch, exported);
  FUZZ_CHECK(n.ok() && *n == r->head_seq, n.ok() ? std::to_string(*n) : Str(n.status()));
  auto back = Import(scenario, branch, exported.str());
  FUZZ_CHECK(back.ok() && back->totals.appended == 0,
             back.ok() ? "export re-import appended" : Str(back.status()) + "\n" + exported.str());
  FUZZ_CHECK(SequenceNumber() == written, "an idempotent re-import wrote");
}

}  // namespace
}  // namespace demarche::fuzz

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  using demarche::fuzz::S;
  demarche::fuzz::QuietProtobuf();
  // Every input adds a scenario to the ledger's in-memory catalog, so
  // libFuzzer's per-input leak check (a full LeakSanitizer scan whenever
  // mallocs and frees differ) would run on every input and cost 95% of the
  // time. Leaks are still checked by the other targets and at exit. libFuzzer
  // reads its flags after this function returns; an explicit flag wins.
  static std::vector<char*> args(*argv, *argv + *argc);
  static char no_leaks[] = "-detect_leaks=0";
  if (std::none_of(args.begin(), args.end(),
                   [](const char* a) { return std::string_view(a).starts_with("-detect_leaks="); }))
    args.insert(args.begin() + 1, no_leaks);
  args.push_back(nullptr);
  *argc = static_cast<int>(args.size()) - 1;
  *argv = args.data();
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/import-fuzz-XXXXXX";
  FUZZ_CHECK(mkdtemp(tmpl.data()) != nullptr, tmpl);
  S().dir = tmpl + "/ledger";
  // The ledger stays open to the end: closing RocksDB from an exit handler
  // races its own static destructors.
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(S().dir).parent_path(), ec);
  });
  demarche::fuzz::Open();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace demarche::fuzz;
  if (size > kMaxInput) return 0;
  State& s = S();
  if (++s.inputs % kResetEvery == 0) Open();
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string scenario = fmt::format("f{}", s.inputs);
  auto created = s.ledger->CreateScenario(FuzzScenario(scenario), "fuzz");
  FUZZ_CHECK(created.ok(), Str(created.status()));
  ImportInto(scenario, "main", text);
  auto fork = s.ledger->CreateBranch(scenario, "what-if", "main", 0, std::nullopt, "fuzz", "");
  FUZZ_CHECK(fork.ok(), Str(fork.status()));
  ImportInto(scenario, "what-if", text);
  return 0;
}
