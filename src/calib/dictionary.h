// ArUco dictionaries by name (internal to calib: marker.cpp and charuco.cpp).
#pragma once

#include <map>
#include <opencv2/aruco.hpp>
#include <string>

namespace skintrack::calib::internal {

inline const std::map<std::string, cv::aruco::PREDEFINED_DICTIONARY_NAME>& Dictionaries() {
  using namespace cv::aruco;  // NOLINT: the enum names read best unqualified
  static const std::map<std::string, PREDEFINED_DICTIONARY_NAME> kNames = {
      {"DICT_4X4_50", DICT_4X4_50},
      {"DICT_4X4_100", DICT_4X4_100},
      {"DICT_4X4_250", DICT_4X4_250},
      {"DICT_4X4_1000", DICT_4X4_1000},
      {"DICT_5X5_50", DICT_5X5_50},
      {"DICT_5X5_100", DICT_5X5_100},
      {"DICT_5X5_250", DICT_5X5_250},
      {"DICT_5X5_1000", DICT_5X5_1000},
      {"DICT_6X6_50", DICT_6X6_50},
      {"DICT_6X6_100", DICT_6X6_100},
      {"DICT_6X6_250", DICT_6X6_250},
      {"DICT_6X6_1000", DICT_6X6_1000},
      {"DICT_7X7_50", DICT_7X7_50},
      {"DICT_7X7_100", DICT_7X7_100},
      {"DICT_7X7_250", DICT_7X7_250},
      {"DICT_7X7_1000", DICT_7X7_1000},
      {"DICT_ARUCO_ORIGINAL", DICT_ARUCO_ORIGINAL},
      {"DICT_APRILTAG_16h5", DICT_APRILTAG_16h5},
      {"DICT_APRILTAG_25h9", DICT_APRILTAG_25h9},
      {"DICT_APRILTAG_36h10", DICT_APRILTAG_36h10},
      {"DICT_APRILTAG_36h11", DICT_APRILTAG_36h11}};
  return kNames;
}

inline cv::Ptr<cv::aruco::Dictionary> GetDictionary(const std::string& name) {
  return cv::aruco::getPredefinedDictionary(Dictionaries().at(name));
}

}  // namespace skintrack::calib::internal
