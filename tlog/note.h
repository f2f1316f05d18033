// C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys, the
// format of Go's golang.org/x/mod/sumdb/note: a text of lines, a blank line,
// then one line per signature, "— <key name> <base64(key id || signature)>".
//
// Keys are text too. A verifier key is "<name>+<key id, 8 hex>+<base64(0x01
// || public key)>", a signer key "PRIVATE+KEY+<name>+<key id>+<base64(0x01
// || seed)>"; the key id is the first 4 bytes of SHA-256(name || "\n" ||
// 0x01 || public key), so a signature names the key that made it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace demarche::tlog {

// A key name is non-empty UTF-8 without spaces, control characters or '+'.
absl::Status CheckKeyName(std::string_view name);

class Verifier {
 public:
  // INVALID_ARGUMENT naming what is wrong (the format, the algorithm, the
  // key id not matching the key).
  static absl::StatusOr<Verifier> FromKey(std::string_view verifier_key);

  const std::string& name() const { return name_; }
  uint32_t key_id() const { return key_id_; }
  // The text form, as FromKey reads it.
  std::string Key() const;
  bool Verify(std::string_view message, std::string_view signature) const;

 private:
  std::string name_;
  uint32_t key_id_ = 0;
  std::string public_key_;  // 32 bytes
};

class Signer {
 public:
  // A fresh key from OpenSSL's random source.
  static absl::StatusOr<Signer> Generate(std::string_view name);
  static absl::StatusOr<Signer> FromKey(std::string_view signer_key);

  const std::string& name() const { return verifier_.name(); }
  uint32_t key_id() const { return verifier_.key_id(); }
  const Verifier& verifier() const { return verifier_; }
  // The text form, as FromKey reads it: a secret.
  std::string Key() const;
  // The 64-byte Ed25519 signature of `message`.
  absl::StatusOr<std::string> Sign(std::string_view message) const;

 private:
  struct Pkey;
  static absl::StatusOr<Signer> FromSeed(std::string name, std::string seed);
  Verifier verifier_;
  std::string seed_;  // 32 bytes
  std::shared_ptr<const Pkey> pkey_;
};

// The note: `text` (lines ending in "\n", no blank line) signed by `signer`.
absl::StatusOr<std::string> SignNote(std::string_view text, const Signer& signer);

// A signature line of a note with the key it names.
struct NoteSignature {
  std::string name;
  uint32_t key_id = 0;
  std::string signature;  // without the key id
};

// A note's text and signature lines, none checked: ParseNote only reads
// the format (INVALID_ARGUMENT naming what is malformed).
struct ParsedNote {
  std::string text;
  std::vector<NoteSignature> signatures;
};
absl::StatusOr<ParsedNote> ParseNote(std::string_view note);

struct OpenedNote {
  std::string text;
  std::vector<NoteSignature> verified;    // by a key of `verifiers`
  std::vector<NoteSignature> unverified;  // by keys not known
};

// Parses a note and checks its signatures. INVALID_ARGUMENT for a malformed
// note; PERMISSION_DENIED when a known key's signature does not verify or
// no known key signed it.
absl::StatusOr<OpenedNote> OpenNote(std::string_view note, const std::vector<Verifier>& verifiers);

// Standard base64 with padding; Unbase64 accepts only the canonical form.
std::string Base64(std::string_view bytes);
std::optional<std::string> Unbase64(std::string_view text);

}  // namespace demarche::tlog
