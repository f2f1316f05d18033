// Signed notes against Go's golang.org/x/mod/sumdb/note test vectors (the
// PeterNeumann key and note of its package documentation and example_test.go,
// and the verifier key of the C2SP signed-note spec): the same bytes must
// come out of our signer and be accepted by our verifier; every alteration
// must be refused.
#include <gtest/gtest.h>

#include "tlog/checkpoint.h"
#include "tlog/note.h"

namespace demarche::tlog {
namespace {

constexpr std::string_view kPeterSigner =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kPeterVerifier =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kEnochVerifier =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
constexpr std::string_view kSpecVerifier =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
constexpr std::string_view kText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr std::string_view kNote =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
    "\n"
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

TEST(Note, GoVectorsSignAndVerifyByteForByte) {
  auto signer = Signer::FromKey(kPeterSigner);
  ASSERT_TRUE(signer.ok()) << signer.status();
  EXPECT_EQ(signer->name(), "PeterNeumann");
  EXPECT_EQ(signer->key_id(), 0xc74f20a3u);
  EXPECT_EQ(signer->Key(), kPeterSigner);
  EXPECT_EQ(signer->verifier().Key(), kPeterVerifier);
  auto note = SignNote(kText, *signer);
  ASSERT_TRUE(note.ok()) << note.status();
  EXPECT_EQ(*note, kNote);

  auto peter = Verifier::FromKey(kPeterVerifier);
  ASSERT_TRUE(peter.ok()) << peter.status();
  auto opened = OpenNote(kNote, {*peter});
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->text, kText);
  ASSERT_EQ(opened->verified.size(), 1u);
  EXPECT_EQ(opened->verified[0].key_id, 0xc74f20a3u);
  for (std::string_view key : {kEnochVerifier, kSpecVerifier}) {
    auto v = Verifier::FromKey(key);
    ASSERT_TRUE(v.ok()) << key << ": " << v.status();
    EXPECT_EQ(v->Key(), key);
  }
}

TEST(Note, EveryAlteredByteIsRefused) {
  auto peter = Verifier::FromKey(kPeterVerifier);
  ASSERT_TRUE(peter.ok());
  const std::string note(kNote);
  for (size_t i = 0; i < note.size(); ++i) {
    for (unsigned char flip : {0x01, 0x20}) {
      std::string bad = note;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      auto opened = OpenNote(bad, {*peter});
      // Flipping a base64 padding bit may decode to the same bytes only if
      // the encoding is not canonical, which Unbase64 refuses.
      EXPECT_FALSE(opened.ok()) << "byte " << i << " ^ " << int(flip);
    }
  }
  EXPECT_FALSE(OpenNote(note + "x", {*peter}).ok());
  EXPECT_FALSE(OpenNote(note.substr(0, note.size() - 1), {*peter}).ok());
}

TEST(Note, UnknownKeysAndMalformedNotesHaveTheirOwnErrors) {
  auto peter = Verifier::FromKey(kPeterVerifier);
  auto enoch = Verifier::FromKey(kEnochVerifier);
  ASSERT_TRUE(peter.ok() && enoch.ok());
  auto unknown = OpenNote(kNote, {*enoch});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(unknown.status().message().find("no signature by a trusted key"), std::string::npos);
  // A signature by a known name but another key id is someone else's.
  auto other = Signer::Generate("PeterNeumann");
  ASSERT_TRUE(other.ok()) << other.status();
  auto forged = SignNote(kText, *other);
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(OpenNote(*forged, {*peter}).status().code(), absl::StatusCode::kPermissionDenied);
  // A signature line of the right key over other text.
  std::string swapped = *forged;
  swapped.replace(swapped.find("\xE2\x80\x94"), std::string::npos,
                  std::string(kNote.substr(kNote.find("\xE2\x80\x94"))));
  EXPECT_EQ(OpenNote(swapped, {*peter}).status().code(), absl::StatusCode::kOk);
  std::string other_text = swapped;
  other_text[0] = 'i';
  auto denied = OpenNote(other_text, {*peter});
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(denied.status().message().find("does not verify"), std::string::npos);

  for (std::string_view bad : {std::string_view("no signatures\n"), std::string_view("a\n\nb\n"),
                               std::string_view("a\n\n\xE2\x80\x94 name\n"),
                               std::string_view("a\n\n\xE2\x80\x94 name !!!\n")}) {
    EXPECT_EQ(OpenNote(bad, {*peter}).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(SignNote("no newline", *other).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SignNote("a\n\nb\n", *other).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Note, KeysAreCheckedBeforeUse) {
  std::string wrong_id(kPeterVerifier);
  wrong_id.replace(wrong_id.find("c74f20a3"), 8, "c74f20a4");
  auto v = Verifier::FromKey(wrong_id);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(v.status().message().find("not that of the key"), std::string::npos) << v.status();
  for (std::string_view bad : {"", "PeterNeumann", "Peter Neumann+c74f20a3+AAAA",
                               "PeterNeumann+c74f20a3+AAAA", "PeterNeumann+C74F20A3+ARpc"})
    EXPECT_EQ(Verifier::FromKey(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  EXPECT_EQ(Signer::FromKey(kPeterVerifier).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Signer::Generate("has space").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Signer::Generate("a+b").status().code(), absl::StatusCode::kInvalidArgument);

  auto fresh = Signer::Generate("demarche-test");
  ASSERT_TRUE(fresh.ok());
  auto again = Signer::FromKey(fresh->Key());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->verifier().Key(), fresh->verifier().Key());
  auto note = SignNote("hello\n", *again);
  ASSERT_TRUE(note.ok());
  EXPECT_TRUE(OpenNote(*note, {fresh->verifier()}).ok());
}

// The body of the C2SP tlog-checkpoint example.
TEST(Checkpoint, ParsesTheSpecExampleAndRefusesMalformedBodies) {
  const std::string body =
      "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
  auto c = ParseCheckpoint(body);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(c->size, 20852163u);
  EXPECT_EQ(c->root.size(), 32u);
  EXPECT_EQ(FormatCheckpoint(*c), body);
  c->extensions.push_back("ext line");
  auto with_ext = ParseCheckpoint(FormatCheckpoint(*c));
  ASSERT_TRUE(with_ext.ok());
  EXPECT_EQ(with_ext->extensions, std::vector<std::string>{"ext line"});
  for (std::string_view bad :
       {"", "o\n1\n", "\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "o\n99999999999999999999\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2\n",
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
        "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="})
    EXPECT_EQ(ParseCheckpoint(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  EXPECT_EQ(ParseCheckpoint("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n")->size, 0u);
}

}  // namespace
}  // namespace demarche::tlog
