// recur-caption: vector to sequence. An 8x8 digit image goes in, the digit's name comes out one
// character at a time ("seven", or "siete" with --lang es). The image reaches the recurrent
// decoder at every step or only through its initial state (--feed every|init|both); captions are
// decoded greedily and by beam search, and scored on a held-out 20 % of the images by exact
// caption accuracy and character error rate.
//   recur-caption [--data digits.csv] [--lang en|es] [--feed both] [--beam 4]
// With --data FILE (the UCI optdigits test set as shipped by scikit-learn: 64 pixels 0..16 and
// the label per row) it uses those images; without it, images generated from a small font.
#include <recur/cell/gru.hpp>
#include <recur/io/input_file.hpp>
#include <recur/text/conditioned_decoder.hpp>
#include <recur/text/token_embedding.hpp>
#include <recur/train/clip.hpp>
#include <recur/train/loss.hpp>
#include <recur/train/optimizer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "../common/cli.hpp"
#include "generated_digits.hpp"

namespace {

using captions::Image;
using recur::Index;
using recur::MatX;
using recur::text::Conditioning;
using Decoder = recur::text::ConditionedDecoder<recur::GRU<float>>;

constexpr Index start_token = 0, end_token = 1;

/// Reads digits.csv: 64 pixels (integers 0..16) and a label (0..9) per line. Errors name the
/// line and column.
std::vector<Image> read_digits(const std::string& path) {
  const std::string text = recur::io::read_input(path);
  std::vector<Image> out;
  std::istringstream in(text);
  std::string line;
  long number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    Image im;
    std::size_t pos = 0;
    for (int field = 0; field < 65; ++field) {
      const std::size_t comma = line.find(',', pos);
      const std::string cell = line.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      const std::string where = path + ":" + std::to_string(number) + ": field " + std::to_string(field + 1);
      char* end = nullptr;
      const long v = std::strtol(cell.c_str(), &end, 10);
      if (cell.empty() || *end != '\0') throw recur::io_error(where + ": '" + cell + "' is not an integer");
      if (field < 64 && (v < 0 || v > 16)) throw recur::io_error(where + ": pixel " + cell + " is outside 0..16");
      if (field == 64 && (v < 0 || v > 9)) throw recur::io_error(where + ": label " + cell + " is not a digit");
      if (field < 64)
        im.pixels[static_cast<std::size_t>(field)] = static_cast<double>(v);
      else
        im.label = static_cast<int>(v);
      if (field < 64 && comma == std::string::npos)
        throw recur::io_error(path + ":" + std::to_string(number) + ": " + std::to_string(field + 1) +
                              " fields, expected 65 (64 pixels and a label)");
      if (field == 64 && comma != std::string::npos)
        throw recur::io_error(path + ":" + std::to_string(number) + ": more than 65 fields");
      pos = comma + 1;
    }
    out.push_back(im);
  }
  if (out.empty()) throw recur::io_error(path + ": no images");
  return out;
}

/// Characters to token ids: 0 start, 1 end, then the letters of the captions.
struct Alphabet {
  std::string letters;
  std::vector<std::string> names;  // caption of each digit

  explicit Alphabet(const std::string& lang) {
    if (lang == "en")
      names = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
    else if (lang == "es")
      names = {"cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"};
    else
      throw recur::value_error("--lang must be en or es, got '" + lang + "'");
    for (const auto& n : names)
      for (char c : n)
        if (letters.find(c) == std::string::npos) letters += c;
    std::sort(letters.begin(), letters.end());
  }
  Index size() const { return static_cast<Index>(letters.size()) + 2; }
  std::vector<Index> ids(const std::string& word) const {
    std::vector<Index> out;
    for (char c : word) out.push_back(static_cast<Index>(letters.find(c)) + 2);
    return out;
  }
  std::string text(const std::vector<Index>& ids) const {
    std::string out;
    for (Index id : ids) out += id >= 2 && id < size() ? letters[static_cast<std::size_t>(id - 2)] : '?';
    return out;
  }
};

MatX<float> conditions_of(const std::vector<const Image*>& images) {
  MatX<float> c(64, static_cast<Index>(images.size()));
  for (std::size_t b = 0; b < images.size(); ++b)
    for (std::size_t p = 0; p < 64; ++p)
      c(static_cast<Index>(p), static_cast<Index>(b)) = static_cast<float>(images[b]->pixels[p] / 16.0);
  return c;
}

struct Scores {
  long exact = 0, images = 0, edits = 0, characters = 0;
  long other_digit = 0;  ///< wrong captions that are another digit's name (not misspelt)
  double accuracy() const { return 100.0 * static_cast<double>(exact) / static_cast<double>(std::max(1L, images)); }
  double cer() const { return 100.0 * static_cast<double>(edits) / static_cast<double>(std::max(1L, characters)); }
};

Scores evaluate(const Decoder& decoder, const std::vector<Image>& test, const Alphabet& alphabet, Index width,
                std::vector<std::string>* captions = nullptr) {
  Scores s;
  recur::text::BeamOptions o;
  o.width = width;
  o.start = start_token;
  o.end = end_token;
  o.max_length = 12;
  for (const auto& im : test) {
    const MatX<float> c = conditions_of({&im});
    const auto best = decoder.decode(c.col(0), o).front();
    const std::string said = alphabet.text(best.tokens), gold = alphabet.names[static_cast<std::size_t>(im.label)];
    s.exact += said == gold;
    s.other_digit +=
        said != gold && std::find(alphabet.names.begin(), alphabet.names.end(), said) != alphabet.names.end();
    ++s.images;
    s.edits += recur::text::edit_distance(said, gold);
    s.characters += static_cast<long>(gold.size());
    if (captions) captions->push_back(said);
  }
  return s;
}

Decoder train(Conditioning feed, const std::vector<Image>& data, const Alphabet& alphabet, const recur::cli::Args& args,
              double& seconds) {
  recur::Rng rng(static_cast<std::uint64_t>(args.integer("seed")));
  recur::text::DecoderOptions o;
  o.vocabulary = alphabet.size();
  o.embedding = 16;
  o.hidden = args.integer("hidden", 1, 4096);
  o.condition = 64;
  o.feed = feed;
  Decoder decoder(o, rng);
  recur::Adam<float> opt(static_cast<float>(args.number("lr")));
  const Index epochs = args.integer("epochs", 0), batch = args.integer("batch", 1, 100000);
  std::vector<std::size_t> order(data.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  Decoder::Trace tr;
  const auto start = std::chrono::steady_clock::now();
  for (Index epoch = 1; epoch <= epochs; ++epoch) {
    std::shuffle(order.begin(), order.end(), rng.engine());
    double loss = 0;
    long batches = 0;
    for (std::size_t b = 0; b < order.size(); b += static_cast<std::size_t>(batch)) {
      std::vector<const Image*> images;
      std::vector<recur::text::TokenFeatures> inputs;
      std::vector<std::vector<Index>> targets;
      for (std::size_t k = b; k < std::min(order.size(), b + static_cast<std::size_t>(batch)); ++k) {
        const Image& im = data[order[k]];
        images.push_back(&im);
        const auto ids = alphabet.ids(alphabet.names[static_cast<std::size_t>(im.label)]);
        inputs.push_back({{start_token}});
        inputs.back()[0].insert(inputs.back()[0].end(), ids.begin(), ids.end());  // <s> c1 .. cn
        targets.push_back(ids);
        targets.back().push_back(end_token);  // c1 .. cn </s>
      }
      std::vector<const recur::text::TokenFeatures*> in;
      std::vector<const std::vector<Index>*> out;
      for (std::size_t k = 0; k < inputs.size(); ++k) {
        in.push_back(&inputs[k]);
        out.push_back(&targets[k]);
      }
      const auto tokens = recur::text::pack(in, 1);
      const auto l =
          recur::softmax_cross_entropy(decoder.forward(conditions_of(images), tokens.ids[0], tokens.batch, tr),
                                       recur::text::pack_labels(out, tokens.steps));
      decoder.backward(tr, l.grad);
      recur::clip_global_norm(decoder, 5.0);
      opt.step(decoder);
      loss += static_cast<double>(l.value);
      ++batches;
    }
    if (!args.quiet() && (epoch % 5 == 0 || epoch == 1)) {
      std::printf("  epoch %3ld/%ld  loss %.4f\n", static_cast<long>(epoch), static_cast<long>(epochs),
                  loss / static_cast<double>(batches));
      std::fflush(stdout);
    }
  }
  seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return decoder;
}

void show(const Image& im, const std::string& caption) {
  static const char* shades = " .:-=+*#%@";
  for (int r = 0; r < 8; ++r) {
    std::printf("    ");
    for (int c = 0; c < 8; ++c) {
      const double v = im.pixels[static_cast<std::size_t>(r * 8 + c)];
      const char ch = shades[static_cast<int>(v / 16.0 * 9.0 + 0.5)];
      std::printf("%c%c", ch, ch);
    }
    std::printf(r == 3 ? "   -> \"%s\"\n" : "\n", caption.c_str());
  }
}

int run(const recur::cli::Args& args) {
  const Alphabet alphabet(args.str("lang"));
  const std::string feed_option = args.str("feed");
  std::vector<Conditioning> feeds;
  if (feed_option == "every" || feed_option == "both") feeds.push_back(Conditioning::every_step);
  if (feed_option == "init" || feed_option == "both") feeds.push_back(Conditioning::initial_state);
  if (feeds.empty()) args.fail("--feed must be every, init or both, got '" + feed_option + "'");
  const Index width = args.integer("beam", 1, 1000);

  std::vector<Image> images;
  std::string origin;
  if (args.has("data")) {
    images = read_digits(args.str("data"));
    origin = args.str("data");
  } else {
    images = captions::DigitGenerator(static_cast<std::uint64_t>(args.integer("seed")) + 13).images(1797);
    origin = "1,797 images generated from recur's 8x8 font";
  }
  recur::Rng split(static_cast<std::uint64_t>(args.integer("seed")) + 1);
  std::shuffle(images.begin(), images.end(), split.engine());
  const std::size_t n_test = images.size() / 5;
  if (n_test == 0) throw recur::value_error("too few images to hold out 20 % (" + std::to_string(images.size()) + ")");
  const std::vector<Image> test(images.end() - static_cast<std::ptrdiff_t>(n_test), images.end());
  images.resize(images.size() - n_test);

  std::printf("data: %s; train %zu, test %zu (held out, 20 %%); captions in %s\n", origin.c_str(), images.size(),
              test.size(), args.str("lang") == "en" ? "English" : "Spanish");
  std::printf("model: GRU decoder, hidden %ld, characters embedded in 16; Adam lr %g, batch %ld, %ld epochs\n",
              static_cast<long>(args.integer("hidden", 1, 4096)), args.number("lr"),
              static_cast<long>(args.integer("batch", 1)), static_cast<long>(args.integer("epochs", 0)));
  struct Row {
    std::string name;
    Scores greedy, beam;
    double seconds;
  };
  std::vector<Row> rows;
  std::vector<std::string> shown;
  for (auto feed : feeds) {
    const std::string name = feed == Conditioning::every_step ? "image at every step" : "image as initial state";
    if (!args.quiet()) std::printf("training: %s\n", name.c_str());
    double seconds = 0;
    const Decoder decoder = train(feed, images, alphabet, args, seconds);
    Row row{name, evaluate(decoder, test, alphabet, 1, shown.empty() ? &shown : nullptr), {}, seconds};
    row.beam = evaluate(decoder, test, alphabet, width);
    rows.push_back(row);
  }
  std::printf("\ntest, %zu images:            greedy          beam %ld\n", test.size(), static_cast<long>(width));
  std::printf("  %-24s %7s %6s   %7s %6s   %s\n", "feed", "exact", "CER", "exact", "CER", "training");
  for (const auto& r : rows)
    std::printf("  %-24s %6.1f%% %5.1f%%   %6.1f%% %5.1f%%   %.1f s\n", r.name.c_str(), r.greedy.accuracy(),
                r.greedy.cer(), r.beam.accuracy(), r.beam.cer(), r.seconds);
  for (const auto& r : rows)
    std::printf("  %s: %ld of %ld greedy errors name another digit (the rest are misspelt)\n", r.name.c_str(),
                r.greedy.other_digit, r.greedy.images - r.greedy.exact);
  const long show_count = args.integer("show", 0, 1000);
  for (long k = 0; k < std::min<long>(show_count, static_cast<long>(test.size())); ++k) {
    std::printf("\n");
    show(test[static_cast<std::size_t>(k)], shown[static_cast<std::size_t>(k)]);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  recur::cli::Args args("recur-caption", "vector to sequence: a digit image in, its name out, one character at a time");
  args.option("data", "FILE", "digits.csv (64 pixels 0..16 and the label per line); default: generated images", "");
  args.option("lang", "en|es", "the captions' language", "en");
  args.option("feed", "every|init|both", "the image at every step, as the initial state, or both (compared)", "both");
  args.option("beam", "K", "beam width (greedy decoding is always reported too)", "4");
  args.option("epochs", "N", "training epochs", "30");
  args.option("batch", "N", "images per minibatch", "32");
  args.option("lr", "X", "Adam learning rate", "0.005");
  args.option("hidden", "H", "GRU size", "64");
  args.option("show", "N", "print N test images with the greedy captions of the first model", "3");
  args.parse(argc, argv);
  return recur::cli::guarded("recur-caption", [&]() -> int { return run(args); });
}
