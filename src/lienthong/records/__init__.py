"""Work files and the electronic archive (hồ sơ công việc, lưu trữ điện tử): Decree 30/2020/NĐ-CP
chapter IV and Circular 02/2019/TT-BNV. The yearly file list, filing documents into work files,
the prescribed metadata, closing, transfer to the archive as BagIt packages, retention and
appraisal."""
