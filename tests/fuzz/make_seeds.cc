// Writes the binary seed inputs of the validate, canonical and keys targets
// from a JSON Lines file of events (data/six-party-talks/events.jsonl): the
// first event of each move kind, as client content and as a stored event with
// its envelope. Run from the fuzz build:
//   build-fuzz/fuzz_make_seeds data/six-party-talks/events.jsonl tests/fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <google/protobuf/util/json_util.h>

#include "ledger/canonical.h"
#include "ledger/keys.h"
#include "ledger/validate.h"

namespace {

namespace fs = std::filesystem;
using namespace demarche;

void Write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s events.jsonl corpus-dir\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1]);
  const fs::path out(argv[2]);
  std::set<std::string> kinds;
  std::string line, prev_hash = ledger::ZeroHash();
  int n = 0;
  while (std::getline(in, line)) {
    v1::Event e;
    if (!google::protobuf::util::JsonStringToMessage(line, &e).ok()) return 1;
    const std::string kind(ledger::MoveKindName(e.move()));
    if (!kinds.insert(kind).second) continue;
    const std::string content = ledger::CanonicalBytes(ledger::ClientContent(e));
    const std::string name = std::to_string(n) + "-" + kind;
    Write(out / "validate" / (name + "-main"), std::string(1, '\x01') + content);
    Write(out / "validate" / (name + "-what-if"), std::string(1, '\x00') + content);
    // A stored event: the envelope the ledger would assign.
    e.set_scenario("six-party-talks");
    e.set_branch("main");
    e.set_seq(static_cast<uint64_t>(++n));
    e.mutable_recorded_at()->set_seconds(1700000000 + n);
    e.set_recorded_by("curator");
    e.set_prev_hash(prev_hash);
    e.set_hash(ledger::EventHash(e));
    prev_hash = e.hash();
    Write(out / "canonical" / name, ledger::CanonicalBytes(e));
    Write(out / "keys" / ("event-" + std::to_string(n)),
          ledger::keys::EncodeEventKey({1, 1, e.seq()}));
  }
  // A roster prefix: flags 2, then a Scenario of two parties, then an event.
  v1::Scenario s;
  for (const char* code : {"PRK", "USA"}) s.add_roster()->set_code(code);
  const std::string roster = ledger::CanonicalBytes(s);
  v1::Event e;
  e.set_id("r");
  e.mutable_occurred()->set_year(2003);
  e.add_actor("PRK");
  e.mutable_move()->mutable_statement()->set_issue("x");
  e.mutable_move()->mutable_statement()->set_stance(v1::STANCE_CONDITIONAL);
  Write(out / "validate" / "roster", std::string(1, '\x02') +
                                         std::string(1, static_cast<char>(roster.size())) + roster +
                                         ledger::CanonicalBytes(e));
  // A correction with a replacement move (none in the bundled record).
  v1::Event c = e;
  c.set_id("c");
  c.clear_move();
  auto* corr = c.mutable_move()->mutable_correction();
  corr->set_target("r");
  corr->mutable_occurred()->set_year(2002);
  corr->mutable_occurred()->set_month(10);
  corr->add_actor("USA");
  corr->mutable_move()->mutable_response()->set_target("p");
  corr->mutable_move()->mutable_response()->set_kind(v1::RESPONSE_KIND_REJECT);
  corr->set_reason("misdated");
  Write(out / "validate" / "correction", std::string(1, '\x00') + ledger::CanonicalBytes(c));
  Write(out / "canonical" / "correction", ledger::CanonicalBytes(c));
  // Negative zeros, which JSON turns into +0 (regression).
  v1::Event z = e;
  z.set_id("z");
  z.mutable_move()->set_weight(-0.0);
  z.add_sources()->set_document("d");
  z.mutable_sources(0)->set_quote("q");
  Write(out / "canonical" / "regress-negative-zero", ledger::CanonicalBytes(z));
  namespace k = ledger::keys;
  Write(out / "keys" / "date", k::EncodeDateKey({1, 2, 20031209, 7}));
  Write(out / "keys" / "id", k::EncodeIdKey(1, 1, "2003-08-27-first-round"));
  Write(out / "keys" / "head", k::EncodeHead({47, std::string(32, '\xab')}));
  Write(out / "keys" / "branch-record", k::BranchRecordKey(1, 3));
  Write(out / "keys" / "all-ff", std::string(9, '\xff'));
  std::printf("%d move kinds\n", n);
  return 0;
}
