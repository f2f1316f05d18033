#include "tlog/note.h"

#include <openssl/evp.h>

#include <algorithm>

#include <fmt/format.h>

#include "absl/strings/escaping.h"
#include "tlog/sha256.h"

namespace demarche::tlog {
namespace {

constexpr char kEd25519 = 0x01;
constexpr size_t kKeyBytes = 32;
constexpr size_t kSignatureBytes = 64;
constexpr std::string_view kPrivatePrefix = "PRIVATE+KEY+";
constexpr std::string_view kDash = "\xE2\x80\x94 ";  // U+2014 EM DASH, space
// Notes are small; a bound keeps a hostile one from costing much.
constexpr size_t kMaxSignatures = 100;

// The big-endian u32 of the first 4 bytes.
uint32_t U32(std::string_view b) {
  return (uint32_t{static_cast<uint8_t>(b[0])} << 24) |
         (uint32_t{static_cast<uint8_t>(b[1])} << 16) |
         (uint32_t{static_cast<uint8_t>(b[2])} << 8) | uint32_t{static_cast<uint8_t>(b[3])};
}

uint32_t KeyId(std::string_view name, std::string_view public_key) {
  return U32(Sha256(fmt::format("{}\n{}{}", name, kEd25519, public_key)));
}

std::string IdBytes(uint32_t id) {
  return std::string{static_cast<char>(id >> 24), static_cast<char>(id >> 16),
                     static_cast<char>(id >> 8), static_cast<char>(id)};
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// "<name>+<hex id>+<base64 of 0x01 || 32 bytes>" -> name, id, key bytes.
absl::Status ParseKeyParts(std::string_view text, std::string_view what, std::string* name,
                           uint32_t* id, std::string* key) {
  const size_t p1 = text.find('+');
  const size_t p2 = p1 == std::string_view::npos ? p1 : text.find('+', p1 + 1);
  if (p2 == std::string_view::npos)
    return absl::InvalidArgumentError(
        fmt::format("{}: expected <name>+<key id>+<base64 key>", what));
  *name = std::string(text.substr(0, p1));
  if (absl::Status s = CheckKeyName(*name); !s.ok())
    return absl::InvalidArgumentError(fmt::format("{}: {}", what, std::string(s.message())));
  const std::string_view hex = text.substr(p1 + 1, p2 - p1 - 1);
  if (hex.size() != 8 || hex.find_first_not_of("0123456789abcdef") != std::string_view::npos)
    return absl::InvalidArgumentError(
        fmt::format("{}: the key id must be 8 lower-case hex digits", what));
  *id = static_cast<uint32_t>(std::stoul(std::string(hex), nullptr, 16));
  auto raw = Unbase64(text.substr(p2 + 1));
  if (!raw || raw->size() != 1 + kKeyBytes)
    return absl::InvalidArgumentError(
        fmt::format("{}: the key must be the base64 of 33 bytes", what));
  if ((*raw)[0] != kEd25519)
    return absl::InvalidArgumentError(
        fmt::format("{}: unknown key algorithm {} (only Ed25519, 1)", what,
                    static_cast<int>(static_cast<uint8_t>((*raw)[0]))));
  *key = raw->substr(1);
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckKeyName(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("the key name is empty");
  for (unsigned char c : name)
    if (c <= 0x20 || c == 0x7f || c == '+')
      return absl::InvalidArgumentError(
          "the key name must not contain spaces, control characters or '+'");
  return absl::OkStatus();
}

// Debian's abseil has its own string_view type.
std::string Base64(std::string_view bytes) {
  return absl::Base64Escape(absl::string_view(bytes.data(), bytes.size()));
}

std::optional<std::string> Unbase64(std::string_view text) {
  std::string out;
  if (!absl::Base64Unescape(absl::string_view(text.data(), text.size()), &out) ||
      Base64(out) != text)
    return std::nullopt;
  return out;
}

// ---- Verifier ------------------------------------------------------------------

absl::StatusOr<Verifier> Verifier::FromKey(std::string_view verifier_key) {
  Verifier v;
  uint32_t id = 0;
  if (absl::Status s = ParseKeyParts(verifier_key, "verifier key", &v.name_, &id, &v.public_key_);
      !s.ok())
    return s;
  v.key_id_ = KeyId(v.name_, v.public_key_);
  if (v.key_id_ != id)
    return absl::InvalidArgumentError(fmt::format(
        "verifier key: the key id {:08x} is not that of the key ({:08x})", id, v.key_id_));
  return v;
}

std::string Verifier::Key() const {
  return fmt::format("{}+{:08x}+{}", name_, key_id_,
                     Base64(std::string(1, kEd25519) + public_key_));
}

bool Verifier::Verify(std::string_view message, std::string_view signature) const {
  if (signature.size() != kSignatureBytes) return false;
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, Bytes(public_key_),
                                          public_key_.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  return key && ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(message),
                          message.size()) == 1;
}

// ---- Signer --------------------------------------------------------------------

struct Signer::Pkey {
  PkeyPtr key;
};

absl::StatusOr<Signer> Signer::Generate(std::string_view name) {
  if (absl::Status s = CheckKeyName(name); !s.ok()) return s;
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  std::string seed(kKeyBytes, '\0');
  size_t len = seed.size();
  if (!key ||
      EVP_PKEY_get_raw_private_key(key.get(), reinterpret_cast<unsigned char*>(seed.data()),
                                   &len) != 1 ||
      len != kKeyBytes)
    return absl::InternalError("OpenSSL could not generate an Ed25519 key");
  return FromSeed(std::string(name), std::move(seed));
}

absl::StatusOr<Signer> Signer::FromKey(std::string_view signer_key) {
  if (!signer_key.starts_with(kPrivatePrefix))
    return absl::InvalidArgumentError("signer key: expected PRIVATE+KEY+<name>+<key id>+<key>");
  std::string name, seed;
  uint32_t id = 0;
  if (absl::Status st =
          ParseKeyParts(signer_key.substr(kPrivatePrefix.size()), "signer key", &name, &id, &seed);
      !st.ok())
    return st;
  auto s = FromSeed(std::move(name), std::move(seed));
  if (s.ok() && s->key_id() != id)
    return absl::InvalidArgumentError(fmt::format(
        "signer key: the key id {:08x} is not that of the key ({:08x})", id, s->key_id()));
  return s;
}

absl::StatusOr<Signer> Signer::FromSeed(std::string name, std::string seed) {
  Signer s;
  s.seed_ = std::move(seed);
  auto pkey = std::make_shared<Pkey>();
  pkey->key.reset(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, Bytes(s.seed_), s.seed_.size()));
  std::string pub(kKeyBytes, '\0');
  size_t len = pub.size();
  if (!pkey->key ||
      EVP_PKEY_get_raw_public_key(pkey->key.get(), reinterpret_cast<unsigned char*>(pub.data()),
                                  &len) != 1 ||
      len != kKeyBytes)
    return absl::InvalidArgumentError("signer key: not an Ed25519 private key");
  auto v = Verifier::FromKey(
      fmt::format("{}+{:08x}+{}", name, KeyId(name, pub), Base64(std::string(1, kEd25519) + pub)));
  if (!v.ok()) return v.status();
  s.verifier_ = *std::move(v);
  s.pkey_ = std::move(pkey);
  return s;
}

std::string Signer::Key() const {
  return fmt::format("{}{}+{:08x}+{}", kPrivatePrefix, name(), key_id(),
                     Base64(std::string(1, kEd25519) + seed_));
}

absl::StatusOr<std::string> Signer::Sign(std::string_view message) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string sig(kSignatureBytes, '\0');
  size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_->key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, Bytes(message),
                     message.size()) != 1 ||
      len != kSignatureBytes)
    return absl::InternalError("OpenSSL could not sign with the Ed25519 key");
  return sig;
}

// ---- Notes ---------------------------------------------------------------------

namespace {

absl::Status CheckText(std::string_view text) {
  if (text.empty() || text.back() != '\n')
    return absl::InvalidArgumentError("note: the text must end with a newline");
  if (text.find("\n\n") != std::string_view::npos || text.front() == '\n')
    return absl::InvalidArgumentError("note: the text must not hold a blank line");
  for (unsigned char c : text)
    if ((c < 0x20 && c != '\n') || c == 0x7f)
      return absl::InvalidArgumentError("note: the text must not hold control characters");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> SignNote(std::string_view text, const Signer& signer) {
  if (absl::Status s = CheckText(text); !s.ok()) return s;
  auto sig = signer.Sign(text);
  if (!sig.ok()) return sig.status();
  return fmt::format("{}\n{}{} {}\n", text, kDash, signer.name(),
                     Base64(IdBytes(signer.key_id()) + *sig));
}

absl::StatusOr<ParsedNote> ParseNote(std::string_view note) {
  const size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos || note.back() != '\n')
    return absl::InvalidArgumentError(
        "note: expected the text, a blank line and signature lines, each ending in a newline");
  ParsedNote out;
  out.text = std::string(note.substr(0, split + 1));
  if (absl::Status s = CheckText(out.text); !s.ok()) return s;
  std::string_view sigs = note.substr(split + 2);
  sigs.remove_suffix(1);
  for (size_t begin = 0; begin <= sigs.size();) {
    const size_t end = std::min(sigs.find('\n', begin), sigs.size());
    std::string_view line = sigs.substr(begin, end - begin);
    begin = end + 1;
    if (out.signatures.size() == kMaxSignatures)
      return absl::InvalidArgumentError(
          fmt::format("note: more than {} signatures", kMaxSignatures));
    if (!line.starts_with(kDash))
      return absl::InvalidArgumentError("note: a signature line must start with \"— \"");
    line.remove_prefix(kDash.size());
    const size_t space = line.find(' ');
    if (space == std::string_view::npos)
      return absl::InvalidArgumentError("note: a signature line must be \"— <name> <signature>\"");
    NoteSignature sig;
    sig.name = std::string(line.substr(0, space));
    if (absl::Status s = CheckKeyName(sig.name); !s.ok())
      return absl::InvalidArgumentError(fmt::format("note: {}", std::string(s.message())));
    auto raw = Unbase64(line.substr(space + 1));
    if (!raw || raw->size() < 5)
      return absl::InvalidArgumentError(
          "note: a signature must be the base64 of its key id and bytes");
    sig.key_id = U32(*raw);
    sig.signature = raw->substr(4);
    out.signatures.push_back(std::move(sig));
  }
  return out;
}

absl::StatusOr<OpenedNote> OpenNote(std::string_view note, const std::vector<Verifier>& verifiers) {
  auto parsed = ParseNote(note);
  if (!parsed.ok()) return parsed.status();
  OpenedNote out;
  out.text = std::move(parsed->text);
  for (NoteSignature& sig : parsed->signatures) {
    const Verifier* known = nullptr;
    for (const Verifier& v : verifiers)
      if (v.name() == sig.name && v.key_id() == sig.key_id) known = &v;
    if (known == nullptr) {
      out.unverified.push_back(std::move(sig));
      continue;
    }
    if (!known->Verify(out.text, sig.signature))
      return absl::PermissionDeniedError(
          fmt::format("note: the signature of {}+{:08x} does not verify", sig.name, sig.key_id));
    out.verified.push_back(std::move(sig));
  }
  if (out.verified.empty())
    return absl::PermissionDeniedError("note: no signature by a trusted key");
  return out;
}

}  // namespace demarche::tlog
