// 8x8 digit images generated from a small font written for recur, for recur-caption's default
// run: each digit's 7x7 glyph is placed at a random offset, its ink takes random intensities
// (0..16, as in the UCI optdigits images), some ink is faded and some background speckled.
#pragma once

#include <recur/core/rng.hpp>

#include <array>
#include <string>
#include <vector>

namespace captions {

struct Image {
  std::array<double, 64> pixels{};  ///< row-major, 0..16
  int label = 0;
};

class DigitGenerator {
 public:
  explicit DigitGenerator(std::uint64_t seed) : rng_(seed) {}

  Image image(int digit) {
    static const char* const font[10][7] = {
        {" ####  ", "##  ## ", "##  ## ", "##  ## ", "##  ## ", "##  ## ", " ####  "},
        {"   ##  ", "  ###  ", " # ##  ", "   ##  ", "   ##  ", "   ##  ", " ######"},
        {" ####  ", "##  ## ", "    ## ", "   ##  ", "  ##   ", " ##    ", "###### "},
        {" ####  ", "##  ## ", "    ## ", "  ###  ", "    ## ", "##  ## ", " ####  "},
        {"    ## ", "   ### ", "  # ## ", " #  ## ", "#######", "    ## ", "    ## "},
        {"###### ", "##     ", "#####  ", "    ## ", "    ## ", "##  ## ", " ####  "},
        {"  ###  ", " ##    ", "##     ", "#####  ", "##  ## ", "##  ## ", " ####  "},
        {"#######", "    ## ", "   ##  ", "  ##   ", "  ##   ", "  ##   ", "  ##   "},
        {" ####  ", "##  ## ", "##  ## ", " ####  ", "##  ## ", "##  ## ", " ####  "},
        {" ####  ", "##  ## ", "##  ## ", " ##### ", "    ## ", "   ##  ", " ###   "}};
    Image im;
    im.label = digit;
    const auto dy = static_cast<int>(rng_.below(2)), dx = static_cast<int>(rng_.below(2));
    for (int r = 0; r < 7; ++r)
      for (int c = 0; c < 7; ++c) {
        double v = 0;
        if (font[digit][r][c] == '#')
          v = rng_.uniform() < 0.12 ? rng_.uniform(0, 8) : rng_.uniform(9, 16);  // some ink faded
        else if (rng_.uniform() < 0.08)
          v = rng_.uniform(0, 7);  // speckle
        im.pixels[static_cast<std::size_t>((r + dy) * 8 + c + dx)] = static_cast<double>(static_cast<int>(v));
      }
    return im;
  }

  std::vector<Image> images(std::size_t n) {
    std::vector<Image> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(image(static_cast<int>(rng_.below(10))));
    return out;
  }

 private:
  recur::Rng rng_;
};

}  // namespace captions
