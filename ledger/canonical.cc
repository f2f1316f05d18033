#include "ledger/canonical.h"

#include <openssl/evp.h>

#include <google/protobuf/wire_format_lite.h>

#include <stdexcept>

#include "proto/deterministic.h"

namespace demarche::ledger {

const std::string& ZeroHash() {
  static const std::string* zero = new std::string(kHashSize, '\0');
  return *zero;
}

std::string CanonicalBytes(const google::protobuf::Message& message) {
  return DeterministicBytes(message);
}

namespace {

// Encoded size of the hash field holding `n` bytes: tag, length, bytes.
size_t HashFieldSize(size_t n) {
  return google::protobuf::io::CodedOutputStream::VarintSize32(v1::Event::kHashFieldNumber << 3) +
         google::protobuf::io::CodedOutputStream::VarintSize32(static_cast<uint32_t>(n)) + n;
}

}  // namespace

std::string EventHash(const v1::Event& event) {
  return Sha256(HashedBytes(event, CanonicalBytes(event)));
}

namespace {

// Appends the hash field to an event's hashed bytes exactly as the
// deterministic serializer would (hash is Event's highest field number).
void AppendHashField(const std::string& hash, std::string* bytes) {
  const size_t n = bytes->size();
  bytes->resize(n + HashFieldSize(hash.size()));
  google::protobuf::internal::WireFormatLite::WriteBytesToArray(
      v1::Event::kHashFieldNumber, hash, reinterpret_cast<uint8_t*>(bytes->data() + n));
}

}  // namespace

void Seal(v1::Event* event, std::string* bytes) {
  event->clear_hash();
  SerializeDeterministic(*event, bytes, HashFieldSize(kHashSize));
  event->set_hash(Sha256(*bytes));
  AppendHashField(event->hash(), bytes);
}

struct PreparedContent::Sha {
  struct Free {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, Free> ctx{EVP_MD_CTX_new()};
};

PreparedContent::PreparedContent(const v1::Event& content)
    : bytes_(CanonicalBytes(content)), sha_(std::make_unique<Sha>()) {
  if (sha_->ctx == nullptr || EVP_DigestInit_ex2(sha_->ctx.get(), tlog::Sha256Md(), nullptr) != 1 ||
      EVP_DigestUpdate(sha_->ctx.get(), bytes_.data(), bytes_.size()) != 1)
    throw std::runtime_error("EVP_DigestUpdate(SHA-256) failed");
}

PreparedContent::PreparedContent(PreparedContent&&) noexcept = default;
PreparedContent& PreparedContent::operator=(PreparedContent&&) noexcept = default;
PreparedContent::~PreparedContent() = default;

void PreparedContent::Seal(const v1::Event& envelope, v1::Event* event, std::string* bytes) {
  event->MergeFrom(envelope);
  if (sealed_) return ledger::Seal(event, bytes);
  event->clear_hash();
  // The envelope's encoding follows the content's, field numbers being
  // higher: together they are the whole event's.
  bytes->assign(bytes_);
  const size_t start = bytes->size();
  AppendDeterministic(envelope, bytes, HashFieldSize(kHashSize));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestUpdate(sha_->ctx.get(), bytes->data() + start, bytes->size() - start) != 1 ||
      EVP_DigestFinal_ex(sha_->ctx.get(), digest, &len) != 1 || len != kHashSize)
    throw std::runtime_error("EVP_DigestFinal(SHA-256) failed");
  // Spent, but freed with this object: a stream frees its batches on the
  // threads that read them, off the committing one.
  sealed_ = true;
  event->set_hash(reinterpret_cast<const char*>(digest), len);
  AppendHashField(event->hash(), bytes);
}

std::string Seal(v1::Event* event) {
  std::string bytes;
  Seal(event, &bytes);
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

// Whether a message or one inside it carries unknown fields. Clients rarely
// send any, so DiscardUnknownFields (a reflection walk over every set field)
// runs only when this finds some. The walk names each message field of the
// Event schema through the generated accessors (a reflection walk cost as
// much as the rest of the client-content step); a test sets an unknown field
// at every message path the descriptors list, so a field added to the schema
// and missed here fails it.
template <typename M>
bool Own(const M& m) {
  static const google::protobuf::Reflection* const reflection = M::GetReflection();
  return !reflection->GetUnknownFields(m).empty();
}

template <typename M>
bool AnyOwn(const google::protobuf::RepeatedPtrField<M>& items) {
  for (const M& m : items)
    if (Own(m)) return true;
  return false;
}

bool HasUnknownFields(const v1::Move& m) {
  if (Own(m)) return true;
  switch (m.kind_case()) {
    case v1::Move::kStatement:
      return Own(m.statement());
    case v1::Move::kDemand:
      return Own(m.demand()) || AnyOwn(m.demand().terms()) || AnyOwn(m.demand().offers());
    case v1::Move::kProposal:
      return Own(m.proposal()) || AnyOwn(m.proposal().terms());
    case v1::Move::kResponse:
      return Own(m.response());
    case v1::Move::kAgreement:
      return Own(m.agreement()) || AnyOwn(m.agreement().terms());
    case v1::Move::kConsult:
      return Own(m.consult());
    case v1::Move::kAid:
      return Own(m.aid());
    case v1::Move::kConcede:
      return Own(m.concede());
    case v1::Move::kSanction:
      return Own(m.sanction());
    case v1::Move::kForum:
      return Own(m.forum());
    case v1::Move::kConflict:
      return Own(m.conflict());
    case v1::Move::kCorrection: {
      const v1::Correction& c = m.correction();
      return Own(c) || Own(c.occurred()) || Own(c.occurred_end()) ||
             (c.has_move() && HasUnknownFields(c.move()));
    }
    case v1::Move::KIND_NOT_SET:
      return false;
  }
  return true;  // a kind this walk does not know: let the discard decide
}

bool HasUnknownFields(const v1::Event& e) {
  return Own(e) || Own(e.occurred()) || Own(e.occurred_end()) || Own(e.recorded_at()) ||
         AnyOwn(e.sources()) || HasUnknownFields(e.move());
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

namespace {

// Reads a varint at p (before end) and moves p past it; false if it is cut
// off or longer than ten bytes.
bool ReadVarint(const uint8_t*& p, const uint8_t* end, uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0; shift < 64 && p < end; shift += 7) {
    const uint8_t b = *p++;
    r |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *v = r;
      return true;
    }
  }
  return false;
}

}  // namespace

bool ParseMoveFields(std::string_view bytes, v1::Event* event) {
  constexpr uint64_t kLastMoveField = v1::Event::kMoveFieldNumber;
  static_assert(v1::Event::kIdFieldNumber == 1 && kLastMoveField == 6);
  // One pass over the top-level fields, by hand (a replay's reading thread
  // spent a tenth of its time here through CodedInputStream): where fields
  // 1-6 end, whether one comes after the run, and seq.
  const auto* begin = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint8_t* end = begin + bytes.size();
  const uint8_t* p = begin;
  int64_t run_end = -1;  // where fields 1-6 end
  bool in_order = true;
  uint64_t seq = 0;
  // Anything unusual (a long tag, field 0, a group, a field cut off) is
  // left to protobuf's own parse, whose verdict is then the answer.
  while (p < end && in_order) {
    const int64_t at = p - begin;
    uint64_t tag = 0;
    if (!ReadVarint(p, end, &tag) || tag > UINT32_MAX || (tag >> 3) == 0) {
      in_order = false;
      break;
    }
    const uint64_t field = tag >> 3;
    if (field > kLastMoveField) {
      if (run_end < 0) run_end = at;
    } else if (run_end >= 0) {
      in_order = false;  // a fold field after the run
    }
    // Skip the value: a varint (seq is one), 8 or 4 bytes, or a length and
    // that many bytes. Groups are never written.
    uint64_t len = 0;
    bool ok = true;
    switch (tag & 7) {
      case 0:
        ok = ReadVarint(p, end, &len);
        if (field == v1::Event::kSeqFieldNumber) seq = len;
        len = 0;
        break;
      case 1:
        len = 8;
        break;
      case 2:
        ok = ReadVarint(p, end, &len);
        break;
      case 5:
        len = 4;
        break;
      default:
        ok = false;
    }
    if (!ok || len > static_cast<uint64_t>(end - p)) {
      in_order = false;
      break;
    }
    p += len;
  }
  if (!in_order) {
    if (!event->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
    const uint64_t parsed_seq = event->seq();
    event->clear_sources();
    event->clear_context();
    event->clear_summary();
    ClearEnvelope(event);
    event->set_seq(parsed_seq);
    return true;
  }
  if (run_end < 0) run_end = static_cast<int64_t>(bytes.size());
  if (!event->ParseFromArray(bytes.data(), static_cast<int>(run_end))) return false;
  event->set_seq(seq);
  return true;
}

}  // namespace demarche::ledger
