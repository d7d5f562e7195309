#include <iostream>
int main() { std::cout << "skintrack\n"; return 0; }
