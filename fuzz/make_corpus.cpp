// SPDX-License-Identifier: GPL-2.0-only
//
// gupcheck_fuzz_corpus OUTDIR TRACE...: writes, for each trace, a libFuzzer
// input that decodes to it (props::encode_trace), named after the trace. The
// seed corpus of fuzz/gup_fuzzer.cpp is made from tests/regression/*.trace.
// Exit status: 0 all encoded, 2 bad usage or a trace that cannot be encoded.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "properties/decode.h"
#include "trace/text.h"

int main(int argc, char **argv) {
  using namespace gupcheck;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s OUTDIR TRACE...\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out);
  int status = 0;
  for (int i = 2; i < argc; i++) {
    trace::Trace t;
    try {
      t = trace::parse_trace_file(argv[i]);
    } catch (const std::exception &e) {
      std::fprintf(stderr, "%s: %s\n", argv[i], e.what());
      status = 2;
      continue;
    }
    std::string why;
    auto words = props::encode_trace(t, &why);
    if (!words) {
      std::fprintf(stderr, "%s: cannot encode: %s\n", argv[i], why.c_str());
      status = 2;
      continue;
    }
    const auto file = out / (std::filesystem::path(argv[i]).stem().string() + ".bin");
    std::ofstream(file, std::ios::binary) << props::bytes_from_words(*words);
    std::printf("%s -> %s (%zu ops, %zu bytes)\n", argv[i], file.c_str(), t.ops.size(), words->size() * 8);
  }
  return status;
}
