#include "ledger/canonical.h"

#include <openssl/evp.h>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace demarche::ledger {

const std::string& ZeroHash() {
  static const std::string* zero = new std::string(kHashSize, '\0');
  return *zero;
}

std::string CanonicalBytes(const google::protobuf::Message& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream raw(&out);
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.SetSerializationDeterministic(true);
    // Computes sizes itself, so it is safe after the message was mutated.
    message.SerializePartialToCodedStream(&coded);
  }
  return out;
}

namespace {

// OpenSSL 3 looks EVP_sha256() up in its provider table on every digest
// (locks included); fetching once keeps that off the per-event path.
const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
}

// Encoded size of the hash field holding `n` bytes: tag, length, bytes.
size_t HashFieldSize(size_t n) {
  return google::protobuf::io::CodedOutputStream::VarintSize32(v1::Event::kHashFieldNumber << 3) +
         google::protobuf::io::CodedOutputStream::VarintSize32(static_cast<uint32_t>(n)) + n;
}

}  // namespace

std::string Sha256(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // EVP_Digest is a one-shot init/update/final; it only fails on allocation.
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, Sha256Md(), nullptr) != 1 ||
      len != kHashSize)
    throw std::runtime_error("EVP_Digest(SHA-256) failed");
  return std::string(reinterpret_cast<const char*>(digest), len);
}

std::string EventHash(const v1::Event& event) {
  return Sha256(HashedBytes(event, CanonicalBytes(event)));
}

std::string Seal(v1::Event* event) {
  event->clear_hash();
  std::string bytes = CanonicalBytes(*event);
  event->set_hash(Sha256(bytes));
  // Append the hash field exactly as the deterministic serializer would.
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream coded(&raw);
    google::protobuf::internal::WireFormatLite::WriteBytes(v1::Event::kHashFieldNumber,
                                                           event->hash(), &coded);
  }
  return bytes;
}

std::string HashedBytes(const v1::Event& event, std::string_view canonical) {
  const size_t tail = event.hash().empty() ? 0 : HashFieldSize(event.hash().size());
  if (event.GetReflection()->GetUnknownFields(event).empty() && tail <= canonical.size())
    return std::string(canonical.substr(0, canonical.size() - tail));
  v1::Event copy = event;
  copy.clear_hash();
  return CanonicalBytes(copy);
}

namespace {

// Negative zero does not survive protobuf's JSON mapping (printed "-0", read
// back as +0), so an exported event with a -0.0 quantity or weight would
// re-import as "different content". Client content keeps +0.0 instead (the
// canonical_fuzz JSON round trip catches a double field missed here).
void PositiveZeros(google::protobuf::RepeatedPtrField<v1::Term>* terms) {
  for (v1::Term& t : *terms)
    if (t.quantity() == 0) t.set_quantity(0.0);
}

void PositiveZeros(v1::Move* m) {
  if (m->has_weight() && m->weight() == 0) m->set_weight(0.0);
  switch (m->kind_case()) {
    case v1::Move::kDemand:
      PositiveZeros(m->mutable_demand()->mutable_terms());
      PositiveZeros(m->mutable_demand()->mutable_offers());
      break;
    case v1::Move::kProposal:
      PositiveZeros(m->mutable_proposal()->mutable_terms());
      break;
    case v1::Move::kAgreement:
      PositiveZeros(m->mutable_agreement()->mutable_terms());
      break;
    case v1::Move::kAid:
      if (m->aid().quantity() == 0) m->mutable_aid()->set_quantity(0.0);
      break;
    case v1::Move::kConcede:
      if (m->concede().quantity() == 0) m->mutable_concede()->set_quantity(0.0);
      break;
    case v1::Move::kCorrection:
      if (m->correction().has_move()) PositiveZeros(m->mutable_correction()->mutable_move());
      break;
    default:
      break;
  }
}

}  // namespace

void ClearEnvelope(v1::Event* event) {
  event->clear_scenario();
  event->clear_branch();
  event->clear_seq();
  event->clear_recorded_at();
  event->clear_recorded_by();
  event->clear_prev_hash();
  event->clear_hash();
}

namespace {

// Where a message type's sub-messages can be: singular and repeated message
// fields, and oneofs with a message member. Worked out once per type, so the
// per-event check below touches only fields that can hold a message.
struct SubMessages {
  std::vector<const google::protobuf::FieldDescriptor*> singular, repeated;
  std::vector<const google::protobuf::OneofDescriptor*> oneofs;
};
using SubMessageMap = std::unordered_map<const google::protobuf::Descriptor*, SubMessages>;

void AddSubMessages(const google::protobuf::Descriptor* d, SubMessageMap* map) {
  if (map->count(d)) return;
  SubMessages subs;
  std::vector<const google::protobuf::Descriptor*> types;
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    types.push_back(f->message_type());
    if (f->is_repeated()) {
      subs.repeated.push_back(f);
    } else if (const auto* oneof = f->real_containing_oneof()) {
      if (subs.oneofs.empty() || subs.oneofs.back() != oneof) subs.oneofs.push_back(oneof);
    } else {
      subs.singular.push_back(f);
    }
  }
  map->emplace(d, std::move(subs));
  for (const auto* t : types) AddSubMessages(t, map);
}

// Whether `m` or a message inside it carries unknown fields; clients rarely
// send any, so DiscardUnknownFields (a reflection walk over every set field)
// is then skipped.
bool HasUnknownFields(const google::protobuf::Message& m) {
  static const SubMessageMap* const map = [] {
    auto* out = new SubMessageMap();
    AddSubMessages(v1::Event::descriptor(), out);
    return out;
  }();
  const google::protobuf::Reflection* r = m.GetReflection();
  if (!r->GetUnknownFields(m).empty()) return true;
  auto it = map->find(m.GetDescriptor());
  if (it == map->end()) return true;  // not an Event part: let the discard decide
  const SubMessages& subs = it->second;
  for (const auto* f : subs.singular)
    if (r->HasField(m, f) && HasUnknownFields(r->GetMessage(m, f))) return true;
  for (const auto* f : subs.repeated)
    for (int j = 0, n = r->FieldSize(m, f); j < n; ++j)
      if (HasUnknownFields(r->GetRepeatedMessage(m, f, j))) return true;
  for (const auto* oneof : subs.oneofs) {
    const auto* f = r->GetOneofFieldDescriptor(m, oneof);
    if (f != nullptr && f->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE &&
        HasUnknownFields(r->GetMessage(m, f)))
      return true;
  }
  return false;
}

}  // namespace

void MakeClientContent(v1::Event* event) {
  ClearEnvelope(event);
  if (HasUnknownFields(*event)) event->DiscardUnknownFields();
  if (event->has_move()) PositiveZeros(event->mutable_move());
}

v1::Event ClientContent(const v1::Event& event) {
  v1::Event copy = event;
  MakeClientContent(&copy);
  return copy;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

}  // namespace demarche::ledger
