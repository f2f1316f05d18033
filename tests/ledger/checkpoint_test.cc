// Signed checkpoints (Ledger::Checkpoint): one per commit group, stored in
// the group's write, covering the head; signed on demand where a branch has
// none; refused once the stored checkpoint disagrees with the tree.
#include <gtest/gtest.h>

#include "ledger/keys.h"
#include "ledger_test_util.h"
#include "tlog/checkpoint.h"
#include "tlog/note.h"

namespace demarche::ledger {
namespace {

std::shared_ptr<const tlog::Signer> NewSigner(const std::string& name = "test-server") {
  auto s = tlog::Signer::Generate(name);
  EXPECT_TRUE(s.ok()) << s.status();
  return std::make_shared<const tlog::Signer>(*std::move(s));
}

Options Signing(std::shared_ptr<const tlog::Signer> signer) {
  Options o = ltest::FastOptions();
  o.checkpoint_signer = std::move(signer);
  return o;
}

class CheckpointTest : public ltest::LedgerTest {
 protected:
  void SetUp() override {
    ltest::LedgerTest::SetUp();
    Reopen(Signing(signer_));
  }
  // The checkpoint, its signature and body checked against the tree.
  SignedCheckpoint Checked(const std::string& branch, const tlog::Signer& signer) {
    auto cp = ledger_->Checkpoint("s", branch);
    EXPECT_TRUE(cp.ok()) << cp.status();
    if (!cp.ok()) return {};
    auto opened = tlog::OpenNote(cp->note, {signer.verifier()});
    EXPECT_TRUE(opened.ok()) << opened.status();
    auto body = tlog::ParseCheckpoint(opened.ok() ? opened->text : "");
    EXPECT_TRUE(body.ok()) << body.status();
    if (body.ok()) {
      EXPECT_EQ(body->origin, signer.name() + "/s/" + branch);
      EXPECT_EQ(body->size, cp->size);
      EXPECT_EQ(body->root, cp->root);
    }
    EXPECT_EQ(cp->size, ledger_->GetBranch("s", branch)->head_seq());
    EXPECT_EQ(cp->root, *ledger_->TreeRoot("s", branch, cp->size));
    return *cp;
  }
  // The meta key of the stored checkpoint of `branch` in `dir`, "" if none.
  static std::string StoredKey(const std::string& dir, const std::string& branch) {
    ltest::RawDb raw(dir);
    std::unique_ptr<rocksdb::Iterator> it(raw.db().NewIterator({}, raw.cf("meta")));
    for (it->Seek("checkpoint/"); it->Valid() && it->key().starts_with("checkpoint/"); it->Next())
      if (it->value().ToString().find("/s/" + branch + "\n") != std::string::npos)
        return it->key().ToString();
    return "";
  }
  std::string Stored(const std::string& branch) {
    ledger_.reset();
    const std::string key = StoredKey(dir_.path(), branch);
    EXPECT_FALSE(key.empty());
    ltest::RawDb raw(dir_.path());
    return key.empty() ? "" : raw.Get(raw.cf("meta"), key);
  }
  std::shared_ptr<const tlog::Signer> signer_ = NewSigner();
};

TEST_F(CheckpointTest, EveryCommitGroupSignsItsHeadInItsOwnWrite) {
  EXPECT_EQ(Checked("main", *signer_).size, 0u);
  for (int i = 0; i < 4; ++i) {
    AppendOk("main", ltest::Statements("g" + std::to_string(i) + "-", 1 + i));
    EXPECT_EQ(Checked("main", *signer_).size, ledger_->GetBranch("s", "main")->head_seq());
  }
  const std::string last = Checked("main", *signer_).note;
  // The group's write holds the note (no request signed it afterwards).
  Reopen(Signing(signer_));
  AppendOk("main", ltest::Statements("last-", 2));
  const SignedCheckpoint now = Checked("main", *signer_);
  EXPECT_EQ(now.size, 12u);
  EXPECT_EQ(Stored("main"), now.note);
  EXPECT_NE(now.note, last);
}

TEST_F(CheckpointTest, AForkIsSignedAtItsForkPointWithItsParentsRoot) {
  AppendOk("main", ltest::Statements("m", 9));
  ASSERT_TRUE(ledger_->CreateBranch("s", "b", "main", 5, std::nullopt, "analyst", "").ok());
  const SignedCheckpoint b = Checked("b", *signer_);
  EXPECT_EQ(b.size, 5u);
  EXPECT_EQ(b.root, *ledger_->TreeRoot("s", "main", 5));
  AppendOk("b", ltest::Statements("b", 3));
  EXPECT_EQ(Checked("b", *signer_).size, 8u);
  EXPECT_EQ(Checked("main", *signer_).size, 9u);
}

TEST_F(CheckpointTest, ANewKeySignsTheSameTreeAndNoKeyMeansNoCheckpoints) {
  AppendOk("main", ltest::Statements("m", 3));
  const SignedCheckpoint old_cp = Checked("main", *signer_);
  auto rotated = NewSigner("rotated");
  Reopen(Signing(rotated));
  const SignedCheckpoint new_cp = Checked("main", *rotated);
  EXPECT_EQ(new_cp.root, old_cp.root);
  EXPECT_FALSE(tlog::OpenNote(new_cp.note, {signer_->verifier()}).ok());
  EXPECT_EQ(ledger_->VerifierKey(), rotated->verifier().Key());
  Reopen();
  EXPECT_EQ(ledger_->Checkpoint("s", "main").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ledger_->VerifierKey(), "");
  AppendOk("main", ltest::Statements("unsigned-", 2));
  // Appends made without a key are covered by the next request's signature.
  Reopen(Signing(rotated));
  EXPECT_EQ(Checked("main", *rotated).size, 5u);
}

// The same key over a data directory whose history differs from what it
// signed: the stored checkpoint names a root the tree does not have, so the
// server refuses to sign, whatever it appends next.
TEST_F(CheckpointTest, ARewrittenHistoryIsNeverSigned) {
  AppendOk("main", ltest::Statements("true-", 6));
  const SignedCheckpoint genuine = Checked("main", *signer_);
  const std::string stored = Stored("main");
  ASSERT_EQ(stored, genuine.note);

  ltest::TempDir other;
  {
    auto rewritten = ltest::OpenOrDie(other.path(), Signing(signer_));
    ASSERT_TRUE(rewritten->CreateScenario(ltest::SixParty(), "curator").ok());
    ASSERT_TRUE(
        rewritten->Append("s", "main", ltest::Statements("forged-", 8), kAnyHead, "x").ok());
  }
  const std::string key = StoredKey(other.path(), "main");
  ASSERT_FALSE(key.empty());
  {
    ltest::RawDb raw(other.path());
    raw.Put(raw.cf("meta"), key, stored);
  }
  auto rewritten = ltest::OpenOrDie(other.path(), Signing(signer_));
  auto refused = rewritten->Checkpoint("s", "main");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(refused.status().message().find("the history was rewritten"), std::string::npos)
      << refused.status();
  EXPECT_TRUE(rewritten->Append("s", "main", ltest::Statements("more-", 1), kAnyHead, "x").ok());
  EXPECT_EQ(rewritten->Checkpoint("s", "main").status().code(), absl::StatusCode::kDataLoss);
  rewritten.reset();
  ltest::RawDb raw(other.path());
  EXPECT_EQ(raw.Get(raw.cf("meta"), key), stored);
}

TEST_F(CheckpointTest, AStoredCheckpointBeyondTheHeadIsRefused) {
  AppendOk("main", ltest::Statements("m", 4));
  ASSERT_TRUE(ledger_->CreateBranch("s", "b", "main", 2, std::nullopt, "analyst", "").ok());
  AppendOk("b", ltest::Statements("b", 4));
  Checked("b", *signer_);
  const std::string b_note = Stored("b");
  const std::string main_key = StoredKey(dir_.path(), "main");
  ASSERT_FALSE(main_key.empty());
  {
    ltest::RawDb raw(dir_.path());
    // main's stored checkpoint replaced by b's at size 6: beyond main's head.
    raw.Put(raw.cf("meta"), main_key, b_note);
  }
  Reopen(Signing(signer_));
  auto refused = ledger_->Checkpoint("s", "main");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(refused.status().message().find("beyond the head 4"), std::string::npos)
      << refused.status();
  Checked("b", *signer_);
}

}  // namespace
}  // namespace demarche::ledger
