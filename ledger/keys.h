// RocksDB key and small-value codec for the ledger's column families.
//
// Every integer is fixed-width big-endian, so bytewise key order is numeric
// order. Layout per column family:
//
//   events     sid:u32 bid:u32 seq:u64                  -> Event (deterministic protobuf)
//   dates      sid:u32 bid:u32 sort_key:u32 seq:u64     -> "" (occurred index), or a copy
//                                                           of the event's stored bytes
//                                                           (CopiedInDateIndex)
//   ids        sid:u32 bid:u32 client_id                -> seq:u64 sort_key:u32
//   scenarios  'N' name                                 -> sid:u32
//              'R' sid:u32                              -> Scenario
//   branches   'N' sid:u32 name                         -> bid:u32
//              'R' sid:u32 bid:u32                      -> Branch (head fields empty)
//              'H' sid:u32 bid:u32                      -> head_seq:u64 head_hash:32 bytes
//   snapshots  sid:u32 bid:u32 user_key                 -> user value
//   meta       "schema_version"                         -> u32
//              "marker/" name                           -> value (Ledger::PutMarker)
//              "checkpoint/" sid:u32 bid:u32            -> the branch's last signed checkpoint
//                                                           (a C2SP signed note;
//                                                           ledger/checkpoints.cc)
//   corrections sid:u32 bid:u32 seq:u64                 -> "" (the correction events;
//                                                           keys as events)
//   tree       sid:u32 bid:u32 level:u8 index:u64       -> 32-byte hash of the perfect
//                                                           Merkle subtree (ledger/tree.h)
//
// Schema versions: 1 had no corrections index, 2 no copies in the date index,
// 3 no Merkle tree; opening an older ledger adds what it lacks
// (ledger/store.cc, ledger/tree.cc).
//
// sid / bid are the numeric ids the ledger assigns to scenarios and branches.
// Decoders never crash on malformed input: they return std::nullopt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace demarche::ledger::keys {

inline constexpr std::string_view kSchemaVersionKey = "schema_version";
inline constexpr uint32_t kSchemaVersion = 4;
inline constexpr size_t kHashBytes = 32;

// ---- Integers ----------------------------------------------------------------
void PutU32(std::string* out, uint32_t v);
void PutU64(std::string* out, uint64_t v);
// Read a big-endian integer from the front of `in` and advance it; false if
// `in` is too short.
bool GetU32(std::string_view* in, uint32_t* v);
bool GetU64(std::string_view* in, uint64_t* v);

// The 8-byte prefix sid:u32 bid:u32 shared by events, dates, ids, snapshots.
std::string BranchPrefix(uint32_t sid, uint32_t bid);
// The smallest key greater than every key starting with `prefix`; nullopt if
// there is none (prefix is all 0xff or empty).
std::optional<std::string> PrefixSuccessor(std::string_view prefix);

// ---- events ------------------------------------------------------------------
struct EventKey {
  uint32_t sid = 0;
  uint32_t bid = 0;
  uint64_t seq = 0;
  bool operator==(const EventKey&) const = default;
};
std::string EncodeEventKey(const EventKey& k);
std::optional<EventKey> DecodeEventKey(std::string_view key);

// ---- dates -------------------------------------------------------------------
struct DateKey {
  uint32_t sid = 0;
  uint32_t bid = 0;
  uint32_t sort_key = 0;
  uint64_t seq = 0;
  bool operator==(const DateKey&) const = default;
};
std::string EncodeDateKey(const DateKey& k);
std::optional<DateKey> DecodeDateKey(std::string_view key);

// Whether an event's date-index entry holds a copy of its stored bytes: when
// the event is dated in an earlier year than the latest-dated earlier event
// of its own branch (`high_water`: that event's sort key, 0 before the first
// event). Date order follows seq order within a year (month and year
// precisions sort at the start of their period, near their neighbours), so
// these are the events a read in date order meets far from their
// neighbours: with the copy it need not fetch their blocks out of turn.
inline bool CopiedInDateIndex(uint32_t sort_key, uint32_t high_water) {
  return sort_key / 10000 < high_water / 10000;
}

// ---- ids ---------------------------------------------------------------------
struct IdKey {
  uint32_t sid = 0;
  uint32_t bid = 0;
  std::string id;  // non-empty
  bool operator==(const IdKey&) const = default;
};
std::string EncodeIdKey(uint32_t sid, uint32_t bid, std::string_view id);
std::optional<IdKey> DecodeIdKey(std::string_view key);

// Value of an ids entry: where the event sits and its occurred sort key (so a
// lookup can honour a fork's date cutoff without reading the event).
struct IdLocation {
  uint64_t seq = 0;
  uint32_t sort_key = 0;
  // A byte the ledger keeps about the event for reference checks (its move
  // kind; ledger/validate.h), so they need not read the event. Absent in
  // entries written before it existed (12-byte values).
  std::optional<uint8_t> target;
  bool operator==(const IdLocation&) const = default;
};
std::string EncodeIdLocation(const IdLocation& v);
std::optional<IdLocation> DecodeIdLocation(std::string_view value);

// ---- scenarios -----------------------------------------------------------------
std::string ScenarioNameKey(std::string_view name);
std::string ScenarioRecordKey(uint32_t sid);
inline constexpr char kScenarioRecordTag = 'R';
std::optional<uint32_t> DecodeScenarioRecordKey(std::string_view key);

// ---- branches ------------------------------------------------------------------
std::string BranchNameKey(uint32_t sid, std::string_view name);
std::string BranchRecordKey(uint32_t sid, uint32_t bid);
std::string BranchHeadKey(uint32_t sid, uint32_t bid);
inline constexpr char kBranchRecordTag = 'R';
struct BranchIds {
  uint32_t sid = 0;
  uint32_t bid = 0;
  bool operator==(const BranchIds&) const = default;
};
// Decodes an 'R' or 'H' key (the tag must match).
std::optional<BranchIds> DecodeBranchRecordKey(std::string_view key);
std::optional<BranchIds> DecodeBranchHeadKey(std::string_view key);

struct Head {
  uint64_t seq = 0;
  std::string hash;  // kHashBytes bytes
  bool operator==(const Head&) const = default;
};
std::string EncodeHead(const Head& h);
std::optional<Head> DecodeHead(std::string_view value);

// ---- snapshots -----------------------------------------------------------------
std::string SnapshotKey(uint32_t sid, uint32_t bid, std::string_view user_key);
struct SnapshotKeyParts {
  uint32_t sid = 0;
  uint32_t bid = 0;
  std::string user_key;
};
std::optional<SnapshotKeyParts> DecodeSnapshotKey(std::string_view key);

// ---- tree ------------------------------------------------------------------------
std::string TreeNodeKey(uint32_t sid, uint32_t bid, int level, uint64_t index);

// ---- meta ------------------------------------------------------------------------
std::string MarkerKey(std::string_view name);
std::string CheckpointKey(uint32_t sid, uint32_t bid);

// ---- small values --------------------------------------------------------------
std::string EncodeU32(uint32_t v);
std::optional<uint32_t> DecodeU32(std::string_view value);  // exactly 4 bytes

}  // namespace demarche::ledger::keys
