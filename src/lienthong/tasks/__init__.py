"""Task tracking (theo dõi nhiệm vụ): assignments of the Government and the Prime Minister."""
