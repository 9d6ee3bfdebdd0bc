// A user's program: builds against the installed recur and runs an LSTM.
#include <recur/recur.hpp>

#include <iostream>

int main() {
  recur::Rng rng(1);
  recur::Recurrent<recur::LSTM<float>> lstm(2, 3, rng);
  Eigen::MatrixXf x = Eigen::MatrixXf::Ones(2, 4 * 2);  // T = 4 steps, B = 2
  Eigen::MatrixXf y = lstm.predict(x, 2);
  if (y.rows() != 3 || y.cols() != 8 || !y.allFinite()) return 1;
  std::cout << "consumer ok: " << lstm.describe() << "\n";
  return 0;
}
