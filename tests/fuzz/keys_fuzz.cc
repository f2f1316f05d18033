// Fuzz target: the big-endian key codec. Every decoder gets the raw input
// (must not crash; what it accepts re-encodes to exactly the input), and
// integers taken from the input round-trip through every encoder, with
// bytewise order of encoded event and date keys equal to numeric order.
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>

#include "fuzz_util.h"
#include "ledger/keys.h"

namespace demarche::fuzz {
namespace {

using namespace demarche::ledger::keys;

void DecodeArbitrary(std::string_view in) {
  if (auto k = DecodeEventKey(in)) FUZZ_CHECK(EncodeEventKey(*k) == in, "event key");
  if (auto k = DecodeDateKey(in)) FUZZ_CHECK(EncodeDateKey(*k) == in, "date key");
  if (auto k = DecodeIdKey(in)) {
    FUZZ_CHECK(!k->id.empty(), "empty id decoded");
    FUZZ_CHECK(EncodeIdKey(k->sid, k->bid, k->id) == in, "id key");
  }
  if (auto v = DecodeIdLocation(in)) FUZZ_CHECK(EncodeIdLocation(*v) == in, "id location");
  if (auto sid = DecodeScenarioRecordKey(in)) FUZZ_CHECK(ScenarioRecordKey(*sid) == in, "scenario");
  if (auto b = DecodeBranchRecordKey(in)) FUZZ_CHECK(BranchRecordKey(b->sid, b->bid) == in, "rec");
  if (auto b = DecodeBranchHeadKey(in)) FUZZ_CHECK(BranchHeadKey(b->sid, b->bid) == in, "head key");
  if (auto h = DecodeHead(in)) {
    FUZZ_CHECK(h->hash.size() == kHashBytes, "head hash size");
    FUZZ_CHECK(EncodeHead(*h) == in, "head");
  }
  if (auto s = DecodeSnapshotKey(in))
    FUZZ_CHECK(SnapshotKey(s->sid, s->bid, s->user_key) == in, "snapshot key");
  if (auto v = DecodeU32(in)) FUZZ_CHECK(EncodeU32(*v) == in, "u32");

  // Streaming reads consume exactly what they decode.
  std::string_view rest = in;
  uint32_t u32 = 0;
  uint64_t u64 = 0;
  while (GetU64(&rest, &u64) && GetU32(&rest, &u32)) {
  }
  FUZZ_CHECK(rest.size() < 12, "GetU32/GetU64 stopped early");

  // PrefixSuccessor: greater than every key with the prefix.
  auto succ = PrefixSuccessor(in);
  const bool all_ff = in.find_first_not_of('\xff') == std::string_view::npos;
  FUZZ_CHECK(succ.has_value() == !all_ff, "successor existence");
  if (succ) {
    FUZZ_CHECK(std::string_view(*succ) > in, "successor not greater");
    FUZZ_CHECK(std::string(in) + std::string(16, '\xff') < *succ, "successor too small");
  }
}

uint64_t Take(std::string_view* in, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes && !in->empty(); ++i) {
    v = (v << 8) | static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
  }
  return v;
}

void RoundTrips(std::string_view in) {
  const auto sid = static_cast<uint32_t>(Take(&in, 4));
  const auto bid = static_cast<uint32_t>(Take(&in, 4));
  const uint64_t seq = Take(&in, 8);
  const auto sort_key = static_cast<uint32_t>(Take(&in, 4));
  const auto sid2 = static_cast<uint32_t>(Take(&in, 4));
  const auto bid2 = static_cast<uint32_t>(Take(&in, 4));
  const uint64_t seq2 = Take(&in, 8);
  const auto sort_key2 = static_cast<uint32_t>(Take(&in, 4));
  const std::string_view tail = in;

  const EventKey ek{sid, bid, seq}, ek2{sid2, bid2, seq2};
  FUZZ_CHECK(DecodeEventKey(EncodeEventKey(ek)) == ek, "event key round trip");
  FUZZ_CHECK((EncodeEventKey(ek) < EncodeEventKey(ek2)) ==
                 (std::tie(sid, bid, seq) < std::tie(sid2, bid2, seq2)),
             "event key order");
  const DateKey dk{sid, bid, sort_key, seq}, dk2{sid2, bid2, sort_key2, seq2};
  FUZZ_CHECK(DecodeDateKey(EncodeDateKey(dk)) == dk, "date key round trip");
  FUZZ_CHECK((EncodeDateKey(dk) < EncodeDateKey(dk2)) ==
                 (std::tie(sid, bid, sort_key, seq) < std::tie(sid2, bid2, sort_key2, seq2)),
             "date key order");
  FUZZ_CHECK(EncodeEventKey(ek).substr(0, 8) == BranchPrefix(sid, bid), "prefix");

  if (!tail.empty()) {
    auto id = DecodeIdKey(EncodeIdKey(sid, bid, tail));
    FUZZ_CHECK(id && id->sid == sid && id->bid == bid && id->id == tail, "id key round trip");
  }
  const IdLocation loc{seq, sort_key, std::nullopt};
  FUZZ_CHECK(DecodeIdLocation(EncodeIdLocation(loc)) == loc, "id location round trip");
  const IdLocation with_target{seq, sort_key, static_cast<uint8_t>(sort_key2)};
  FUZZ_CHECK(DecodeIdLocation(EncodeIdLocation(with_target)) == with_target,
             "id location with target round trip");
  FUZZ_CHECK(DecodeScenarioRecordKey(ScenarioRecordKey(sid)) == sid, "scenario round trip");
  const BranchIds ids{sid, bid};
  FUZZ_CHECK(DecodeBranchRecordKey(BranchRecordKey(sid, bid)) == ids, "record round trip");
  FUZZ_CHECK(DecodeBranchHeadKey(BranchHeadKey(sid, bid)) == ids, "head key round trip");
  FUZZ_CHECK(!DecodeBranchHeadKey(BranchRecordKey(sid, bid)), "record key read as head key");
  std::string hash(tail.substr(0, kHashBytes));
  hash.resize(kHashBytes, '\0');
  const Head head{seq, hash};
  FUZZ_CHECK(DecodeHead(EncodeHead(head)) == head, "head round trip");
  auto snap = DecodeSnapshotKey(SnapshotKey(sid, bid, tail));
  FUZZ_CHECK(snap && snap->sid == sid && snap->bid == bid && snap->user_key == tail, "snapshot");
  FUZZ_CHECK(DecodeU32(EncodeU32(sort_key)) == sort_key, "u32 round trip");
  // Scenario and branch name keys keep names apart from record keys.
  FUZZ_CHECK(ScenarioNameKey(tail).substr(1) == tail, "scenario name key");
  FUZZ_CHECK(!DecodeScenarioRecordKey(ScenarioNameKey(tail)), "name key read as record key");
}

}  // namespace
}  // namespace demarche::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) { return 0; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  demarche::fuzz::DecodeArbitrary(in);
  demarche::fuzz::RoundTrips(in);
  return 0;
}
