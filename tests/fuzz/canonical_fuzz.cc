// Fuzz target: canonical encoding and hash. Input = a binary v1::Event (any
// bytes; those that do not parse are skipped). Checks determinism (encoding
// twice, encoding a copy), that canonical bytes are a fixed point of
// parse/serialize with the same hash, that the hash ignores the hash field,
// that valid client content survives the JSON mapping used by
// export/import byte for byte, and that the fold's partial parse
// (ParseMoveFields) agrees with a whole parse cut down to its fields.
#include <cstdint>
#include <string>

#include <google/protobuf/util/json_util.h>

#include "fuzz_util.h"
#include "ledger/canonical.h"
#include "ledger/validate.h"

namespace demarche::fuzz {
namespace {

using namespace demarche::ledger;

// Export/import carry stored (hence valid) events: NaN, for one, cannot be
// stored and does not keep its payload in JSON.
void CheckJsonRoundTrip(const v1::Event& content) {
  static const Roster roster = DefaultRoster();
  EventRules rules;
  rules.roster = &roster;
  rules.branch = "what-if";
  if (!ValidateEvent(content, "e", rules).ok()) return;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(content, &json).ok()) return;
  v1::Event back;
  const auto parsed = google::protobuf::util::JsonStringToMessage(json, &back);
  FUZZ_CHECK(parsed.ok(), json + "\n" + parsed.ToString());
  FUZZ_CHECK(CanonicalBytes(back) == CanonicalBytes(content), json);
}

}  // namespace
}  // namespace demarche::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  demarche::fuzz::QuietProtobuf();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace demarche;
  using namespace demarche::ledger;
  using namespace demarche::fuzz;
  v1::Event e;
  if (!e.ParseFromArray(data, static_cast<int>(size))) return 0;

  const std::string bytes = CanonicalBytes(e);
  FUZZ_CHECK(CanonicalBytes(e) == bytes, "encoding twice differs");
  const v1::Event copy = e;
  FUZZ_CHECK(CanonicalBytes(copy) == bytes, "a copy encodes differently");

  const std::string hash = EventHash(e);
  FUZZ_CHECK(hash.size() == kHashSize, Hex(hash));
  FUZZ_CHECK(EventHash(e) == hash, "hashing twice differs");
  v1::Event unhashed = e;
  unhashed.clear_hash();
  FUZZ_CHECK(EventHash(unhashed) == hash, "the hash covers the hash field");
  FUZZ_CHECK(Sha256(CanonicalBytes(unhashed)) == hash, "EventHash is not SHA-256 of the bytes");

  // Canonical bytes are a fixed point: what Verify relies on.
  v1::Event reparsed;
  FUZZ_CHECK(reparsed.ParseFromString(bytes), "canonical bytes do not parse");
  FUZZ_CHECK(CanonicalBytes(reparsed) == bytes, "parse(canonical) re-encodes differently");
  FUZZ_CHECK(EventHash(reparsed) == hash, "parse(canonical) hashes differently");

  // The client content: envelope cleared, unknown fields gone, idempotent.
  const v1::Event content = ClientContent(e);
  FUZZ_CHECK(content.seq() == 0 && content.hash().empty() && content.prev_hash().empty() &&
                 content.scenario().empty() && content.branch().empty() &&
                 content.recorded_by().empty() && !content.has_recorded_at(),
             "envelope left in client content");
  FUZZ_CHECK(CanonicalBytes(ClientContent(content)) == CanonicalBytes(content),
             "ClientContent is not idempotent");
  v1::Event no_envelope = e;
  ClearEnvelope(&no_envelope);
  FUZZ_CHECK(CanonicalBytes(ClientContent(no_envelope)) == CanonicalBytes(content),
             "the envelope changes the client content");
  CheckJsonRoundTrip(content);

  v1::Event part;
  FUZZ_CHECK(ParseMoveFields(std::string_view(reinterpret_cast<const char*>(data), size), &part),
             "ParseMoveFields refuses bytes that parse");
  v1::Event whole = e;
  for (v1::Event* m : {&part, &whole}) m->DiscardUnknownFields();
  whole.clear_sources();
  whole.clear_context();
  whole.clear_summary();
  ClearEnvelope(&whole);
  whole.set_seq(e.seq());
  FUZZ_CHECK(CanonicalBytes(part) == CanonicalBytes(whole),
             "ParseMoveFields differs from a whole parse cut down");
  return 0;
}
