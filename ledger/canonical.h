// Canonical encoding and hash of events.
//
// Canonical bytes = protobuf's *deterministic* serialization of v1::Event
// (fields in field-number order, map entries sorted, default-valued proto3
// scalars omitted) with unknown fields discarded. Clients' events have their
// unknown fields dropped on append, so the stored value is exactly the
// canonical bytes of the stored event.
//
// What is hashed: hash = SHA-256(CanonicalBytes(event with `hash` cleared)).
// That covers every other field: the client content (id, occurred,
// occurred_end, actor, recipients, move, sources, context, summary) and the
// envelope (scenario, branch, seq, recorded_at, recorded_by, prev_hash). No
// prefix or suffix is added. prev_hash links the chain: it is the hash of the
// previous event in the lineage (32 zero bytes for seq 1); a fork's first event
// links to the parent's event at the fork point.
//
// Why protobuf's deterministic serialization rather than a hand-made format:
// it is defined for every field of the schema (including fields added later)
// and any language with protobuf can recompute it. Its stability across
// protobuf releases is a documented goal, not a hard guarantee; Verify also
// checks that the stored bytes re-serialize identically, so a drift would show
// up as a verification failure rather than silently.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "demarche/v1/event.pb.h"
#include "tlog/sha256.h"

namespace demarche::ledger {

inline constexpr size_t kHashSize = 32;

// 32 zero bytes: prev_hash of seq 1 and head hash of an empty branch.
const std::string& ZeroHash();

// Deterministic serialization of `message` (unknown fields included if any).
std::string CanonicalBytes(const google::protobuf::Message& message);

// SHA-256 over CanonicalBytes(event) with the `hash` field cleared.
std::string EventHash(const v1::Event& event);

// Sets event->hash to EventHash(*event) and returns the canonical bytes of
// the sealed event, with one serialization: `hash` is Event's highest field
// number, so the deterministic encoding of the sealed event is the hashed
// bytes followed by the hash field (a test pins that). `event` must carry no
// unknown fields (client content never does).
std::string Seal(v1::Event* event);
// The same into *bytes, reusing its capacity (the append path seals every
// event of a batch into one buffer).
void Seal(v1::Event* event, std::string* bytes);

// An event's client content encoded, and SHA-256 run over that encoding,
// ahead of its append. The canonical encoding writes the client's fields
// (1-9) before the envelope's (20-26), so the thread that assigns envelopes
// (one per branch) only encodes and hashes the envelope; the result is
// Seal's, byte for byte (a test pins it).
class PreparedContent {
 public:
  // `content` must be client content only (MakeClientContent).
  explicit PreparedContent(const v1::Event& content);
  PreparedContent(PreparedContent&&) noexcept;
  PreparedContent& operator=(PreparedContent&&) noexcept;
  ~PreparedContent();

  // The canonical encoding of the content (what idempotent retries compare).
  std::string_view bytes() const { return bytes_; }

  // Gives `event` (the content this was prepared from) the fields of
  // `envelope` (which holds envelope fields only) and its hash, and writes
  // the sealed event's canonical bytes to *bytes, as Seal would. The hash
  // state is spent by the first call; a later one seals from scratch.
  void Seal(const v1::Event& envelope, v1::Event* event, std::string* bytes);

 private:
  std::string bytes_;
  struct Sha;  // OpenSSL's digest context over bytes_
  std::unique_ptr<Sha> sha_;
  bool sealed_ = false;  // the digest is final
};

// Given the canonical bytes of `event` (already checked equal), the part the
// hash covers: the bytes without the trailing hash field. Falls back to a
// re-serialization when the event carries unknown fields.
std::string HashedBytes(const v1::Event& event, std::string_view canonical);

// SHA-256 of raw bytes (tlog/sha256.h).
using tlog::Sha256;

// The client-written part of an event: envelope fields (scenario .. hash)
// cleared, unknown fields dropped and -0.0 quantities and weights made +0.0
// (JSON cannot carry the sign back). Two events have the same client content
// iff CanonicalBytes(ClientContent(a)) == CanonicalBytes(ClientContent(b)).
v1::Event ClientContent(const v1::Event& event);
// The same, in place (no copy).
void MakeClientContent(v1::Event* event);
void ClearEnvelope(v1::Event* event);

// Parses of stored (canonical) bytes only what a fold reads: id, occurred,
// occurred_end, actor, recipients, move (fields 1-6, which the canonical
// encoding writes first, so they parse as one run) and seq; the sources,
// context, summary and the rest of the envelope stay empty. Bytes in another
// field order are parsed whole and then cut down to the same fields. False
// if the bytes do not parse.
bool ParseMoveFields(std::string_view bytes, v1::Event* event);

// Lowercase hex, for messages.
std::string Hex(std::string_view bytes);

}  // namespace demarche::ledger
