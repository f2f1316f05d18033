#include "ledger/keys.h"

namespace demarche::ledger::keys {
namespace {

constexpr size_t kPrefixBytes = 8;
constexpr char kNameTag = 'N';
constexpr char kHeadTag = 'H';

std::optional<BranchIds> DecodeTaggedBranchKey(std::string_view key, char tag) {
  if (key.size() != 1 + kPrefixBytes || key[0] != tag) return std::nullopt;
  key.remove_prefix(1);
  BranchIds ids;
  if (!GetU32(&key, &ids.sid) || !GetU32(&key, &ids.bid)) return std::nullopt;
  return ids;
}

}  // namespace

void PutU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

void PutU64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

bool GetU32(std::string_view* in, uint32_t* v) {
  if (in->size() < 4) return false;
  uint32_t r = 0;
  for (int i = 0; i < 4; ++i) r = (r << 8) | static_cast<uint8_t>((*in)[i]);
  in->remove_prefix(4);
  *v = r;
  return true;
}

bool GetU64(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r = (r << 8) | static_cast<uint8_t>((*in)[i]);
  in->remove_prefix(8);
  *v = r;
  return true;
}

std::string BranchPrefix(uint32_t sid, uint32_t bid) {
  std::string k;
  k.reserve(kPrefixBytes);
  PutU32(&k, sid);
  PutU32(&k, bid);
  return k;
}

std::optional<std::string> PrefixSuccessor(std::string_view prefix) {
  std::string s(prefix);
  while (!s.empty() && static_cast<uint8_t>(s.back()) == 0xff) s.pop_back();
  if (s.empty()) return std::nullopt;
  s.back() = static_cast<char>(static_cast<uint8_t>(s.back()) + 1);
  return s;
}

std::string EncodeEventKey(const EventKey& k) {
  std::string out = BranchPrefix(k.sid, k.bid);
  PutU64(&out, k.seq);
  return out;
}

std::optional<EventKey> DecodeEventKey(std::string_view key) {
  if (key.size() != kPrefixBytes + 8) return std::nullopt;
  EventKey k;
  if (!GetU32(&key, &k.sid) || !GetU32(&key, &k.bid) || !GetU64(&key, &k.seq)) return std::nullopt;
  return k;
}

std::string EncodeDateKey(const DateKey& k) {
  std::string out = BranchPrefix(k.sid, k.bid);
  PutU32(&out, k.sort_key);
  PutU64(&out, k.seq);
  return out;
}

std::optional<DateKey> DecodeDateKey(std::string_view key) {
  if (key.size() != kPrefixBytes + 4 + 8) return std::nullopt;
  DateKey k;
  if (!GetU32(&key, &k.sid) || !GetU32(&key, &k.bid) || !GetU32(&key, &k.sort_key) ||
      !GetU64(&key, &k.seq))
    return std::nullopt;
  return k;
}

std::string EncodeIdKey(uint32_t sid, uint32_t bid, std::string_view id) {
  std::string out = BranchPrefix(sid, bid);
  out.append(id);
  return out;
}

std::optional<IdKey> DecodeIdKey(std::string_view key) {
  if (key.size() <= kPrefixBytes) return std::nullopt;
  IdKey k;
  if (!GetU32(&key, &k.sid) || !GetU32(&key, &k.bid)) return std::nullopt;
  k.id.assign(key);
  return k;
}

std::string EncodeIdLocation(const IdLocation& v) {
  std::string out;
  PutU64(&out, v.seq);
  PutU32(&out, v.sort_key);
  if (v.target) out.push_back(static_cast<char>(*v.target));
  return out;
}

std::optional<IdLocation> DecodeIdLocation(std::string_view value) {
  if (value.size() != 12 && value.size() != 13) return std::nullopt;
  IdLocation v;
  if (!GetU64(&value, &v.seq) || !GetU32(&value, &v.sort_key)) return std::nullopt;
  if (!value.empty()) v.target = static_cast<uint8_t>(value[0]);
  return v;
}

std::string ScenarioNameKey(std::string_view name) {
  std::string out(1, kNameTag);
  out.append(name);
  return out;
}

std::string ScenarioRecordKey(uint32_t sid) {
  std::string out(1, kScenarioRecordTag);
  PutU32(&out, sid);
  return out;
}

std::optional<uint32_t> DecodeScenarioRecordKey(std::string_view key) {
  if (key.size() != 5 || key[0] != kScenarioRecordTag) return std::nullopt;
  key.remove_prefix(1);
  uint32_t sid = 0;
  if (!GetU32(&key, &sid)) return std::nullopt;
  return sid;
}

std::string BranchNameKey(uint32_t sid, std::string_view name) {
  std::string out(1, kNameTag);
  PutU32(&out, sid);
  out.append(name);
  return out;
}

std::string BranchRecordKey(uint32_t sid, uint32_t bid) {
  std::string out(1, kBranchRecordTag);
  out.append(BranchPrefix(sid, bid));
  return out;
}

std::string BranchHeadKey(uint32_t sid, uint32_t bid) {
  std::string out(1, kHeadTag);
  out.append(BranchPrefix(sid, bid));
  return out;
}

std::optional<BranchIds> DecodeBranchRecordKey(std::string_view key) {
  return DecodeTaggedBranchKey(key, kBranchRecordTag);
}

std::optional<BranchIds> DecodeBranchHeadKey(std::string_view key) {
  return DecodeTaggedBranchKey(key, kHeadTag);
}

std::string EncodeHead(const Head& h) {
  std::string out;
  PutU64(&out, h.seq);
  out.append(h.hash);
  return out;
}

std::optional<Head> DecodeHead(std::string_view value) {
  if (value.size() != 8 + kHashBytes) return std::nullopt;
  Head h;
  if (!GetU64(&value, &h.seq)) return std::nullopt;
  h.hash.assign(value);
  return h;
}

std::string SnapshotKey(uint32_t sid, uint32_t bid, std::string_view user_key) {
  std::string out = BranchPrefix(sid, bid);
  out.append(user_key);
  return out;
}

std::optional<SnapshotKeyParts> DecodeSnapshotKey(std::string_view key) {
  SnapshotKeyParts k;
  if (!GetU32(&key, &k.sid) || !GetU32(&key, &k.bid)) return std::nullopt;
  k.user_key.assign(key);
  return k;
}

std::string EncodeU32(uint32_t v) {
  std::string out;
  PutU32(&out, v);
  return out;
}

std::optional<uint32_t> DecodeU32(std::string_view value) {
  uint32_t v = 0;
  if (value.size() != 4 || !GetU32(&value, &v)) return std::nullopt;
  return v;
}

std::string MarkerKey(std::string_view name) {
  std::string key = "marker/";
  key.append(name);
  return key;
}

std::string CheckpointKey(uint32_t sid, uint32_t bid) {
  std::string key = "checkpoint/";
  key.append(BranchPrefix(sid, bid));
  return key;
}

std::string TreeNodeKey(uint32_t sid, uint32_t bid, int level, uint64_t index) {
  std::string key = BranchPrefix(sid, bid);
  key.push_back(static_cast<char>(level));
  PutU64(&key, index);
  return key;
}

}  // namespace demarche::ledger::keys
