// A gtest fixture that runs one demarched child process per test on a fresh
// data directory and stops it with SIGTERM at the end (expecting exit 0).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "client.h"
#include "process.h"

namespace demarche::reliability {

class ServerTest : public ::testing::Test {
 protected:
  virtual std::vector<std::string> ServerArgs() const { return {}; }

  void SetUp() override {
    server_ = std::make_unique<DemarchedProcess>(dir_.path() / "work", data_dir(), ServerArgs());
    std::string why;
    ASSERT_TRUE(server_->Start(std::chrono::seconds(60), &why)) << why;
    client_ = std::make_unique<Client>(server_->address());
  }

  void TearDown() override {
    client_.reset();
    if (server_ && server_->pid() != 0) {
      EXPECT_EQ(server_->Terminate(std::chrono::seconds(30)), 0) << server_->StderrTail();
    }
  }

  std::filesystem::path data_dir() const { return dir_.path() / "data"; }
  std::string address() const { return server_->address(); }

  TempDir dir_;
  std::unique_ptr<DemarchedProcess> server_;
  std::unique_ptr<Client> client_;
};

}  // namespace demarche::reliability
