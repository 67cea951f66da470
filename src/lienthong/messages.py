"""The Vietnamese sentence a person reads on a page for each error code, in one table.

``errors.ERROR_TABLE`` holds the HTTP status and the English sentence that the JSON APIs send
(``{"error": {"code", "message", "detail"}}``); pages never show that sentence. A page shows
:func:`vietnamese` of the refusal's code instead, and at most the code itself, small, as a
reference for support. Every code of the closed list has a sentence here (a unit test checks).
"""

from __future__ import annotations

from lienthong.errors import ErrorCode

NOTHING_STORED = "không có gì được lưu"

VIETNAMESE: dict[ErrorCode, str] = {
    # Input that cannot be read
    ErrorCode.PACKAGE_MALFORMED: "Gói tin không đúng định dạng edXML.",
    ErrorCode.PACKAGE_TOO_LARGE: "Gói tin vượt quá dung lượng cho phép.",
    ErrorCode.PACKAGE_FORBIDDEN_XML: (
        "Gói tin dùng cấu trúc XML bị cấm (DOCTYPE, thực thể, chỉ thị xử lý, tham chiếu ra ngoài)."
    ),
    ErrorCode.PACKAGE_WRONG_NAMESPACE: (
        "Gói tin không phải edXML theo QCVN 102:2016/BTTTT (sai không gian tên)."
    ),
    ErrorCode.PACKAGE_FIELD_MISSING: "Gói tin thiếu một trường bắt buộc của edXML.",
    ErrorCode.PACKAGE_FIELD_INVALID: "Một trường của gói tin edXML có giá trị sai định dạng.",
    ErrorCode.ATTACHMENT_ENCODING_INVALID: "Tệp đính kèm không được mã hóa base64 hợp lệ.",
    ErrorCode.MANIFEST_MISMATCH: (
        "Danh sách tệp đính kèm khai báo không khớp với các tệp đính kèm trong gói tin."
    ),
    ErrorCode.PACKAGE_KIND_MISMATCH: "Chức năng này không nhận loại gói tin đã gửi.",
    ErrorCode.HASH_MISMATCH: "Mã băm SHA-256 của nội dung khác với mã băm đã khai báo.",
    ErrorCode.REQUEST_INVALID: "Thông tin gửi lên không hợp lệ; vui lòng kiểm tra lại.",
    ErrorCode.REQUEST_TOO_DEEP: (
        "Dữ liệu JSON gửi lên lồng nhau quá nhiều cấp; " + NOTHING_STORED + "."
    ),
    ErrorCode.CURSOR_INVALID: (
        "Vị trí trang (cursor) không phải do hệ thống cấp; vui lòng tải lại danh sách từ đầu."
    ),
    ErrorCode.ROUTE_NOT_FOUND: "Không có chức năng tại địa chỉ này; vui lòng kiểm tra lại địa chỉ.",
    ErrorCode.METHOD_NOT_ALLOWED: "Địa chỉ này không nhận thao tác vừa gửi.",
    ErrorCode.ATTACHMENT_INFLATES_TOO_LARGE: (
        "Tệp nén đính kèm khi giải nén vượt quá dung lượng cho phép; " + NOTHING_STORED + "."
    ),
    # Who is asking
    ErrorCode.AUTH_FAILED: (
        "Không xác thực được: mã hệ thống không tồn tại hoặc khóa bí mật không đúng."
    ),
    ErrorCode.AUTH_REPLAYED: (
        "Thời điểm của yêu cầu nằm ngoài khoảng thời gian cho phép; vui lòng gửi lại."
    ),
    ErrorCode.CLIENT_CERTIFICATE_NOT_FOR_TLS: (
        "Chứng thư số của máy khách không được cấp cho xác thực TLS (không có clientAuth); "
        "chứng thư ký số cá nhân không dùng để kết nối."
    ),
    ErrorCode.CLIENT_CERTIFICATE_NOT_REGISTERED: (
        "Cơ quan đã đăng ký chứng thư số dùng để kết nối; chứng thư số này không nằm trong số đó."
    ),
    ErrorCode.TLS_FINGERPRINT_INVALID: (
        "Dấu vân tay chứng thư số phải là mã SHA-256 gồm 64 chữ số thập lục phân."
    ),
    ErrorCode.GATEWAY_TOKEN_MISSING: "Thiếu mã truy cập của cổng kết nối (gateway).",
    ErrorCode.GATEWAY_TOKEN_INVALID: "Mã truy cập của cổng kết nối (gateway) không đúng.",
    ErrorCode.DEMO_SECRETS_IN_USE: (
        "Khóa chủ, mật khẩu người dùng hoặc khóa bí mật của dữ liệu mẫu (demo) vẫn đang được "
        "dùng; hãy thay trước khi vận hành."
    ),
    ErrorCode.FORBIDDEN: "Bạn không có quyền thực hiện thao tác này.",
    ErrorCode.TOKEN_INVALID: (
        "Mã truy cập (access token) không có, không đúng, đã hết hạn hoặc đã bị thu hồi; "
        "vui lòng lấy mã mới."
    ),
    ErrorCode.CONSUMER_UNKNOWN: "Không tìm thấy khóa (consumer key) của hệ thống kết nối này.",
    ErrorCode.SENDER_MISMATCH: "Cơ quan gửi ghi trong gói tin không phải cơ quan đã xác thực.",
    # Registry
    ErrorCode.AGENCY_UNKNOWN: "Cơ quan không có trong danh mục.",
    ErrorCode.AGENCY_EXISTS: "Đã có cơ quan đăng ký với mã định danh này.",
    ErrorCode.AGENCY_CODE_INVALID: "Mã định danh cơ quan không đúng định dạng.",
    ErrorCode.AGENCY_INVALID: "Thông tin của cơ quan không thống nhất.",
    ErrorCode.RECIPIENT_UNKNOWN: "Có nơi nhận không có trong danh bạ.",
    ErrorCode.RECIPIENT_NOT_VALID: "Có nơi nhận đã đăng ký nhưng không còn hiệu lực vào ngày gửi.",
    ErrorCode.RECIPIENT_MERGED: (
        "Có nơi nhận không còn tồn tại vào ngày gửi (đã sáp nhập, chia tách); "
        "vui lòng gửi đến cơ quan kế thừa."
    ),
    # Exchange rules
    ErrorCode.DUPLICATE_DOCUMENT: "Văn bản này đã được gửi trước đó (trùng số, ký hiệu).",
    ErrorCode.IDEMPOTENCY_KEY_REUSED: "Khóa chống gửi trùng này đã được dùng cho một gói tin khác.",
    ErrorCode.DOCUMENT_NOT_FOUND: "Không tìm thấy văn bản, hoặc bạn không có quyền xem.",
    ErrorCode.DELIVERY_NOT_FOUND: "Không tìm thấy lượt chuyển văn bản này đến cơ quan của bạn.",
    ErrorCode.NOT_YOUR_DOCUMENT: "Chỉ cơ quan ban hành mới được cập nhật, thay thế văn bản.",
    ErrorCode.NOT_A_RECIPIENT: "Cơ quan này không phải là nơi nhận của văn bản.",
    ErrorCode.STATUS_NOT_ALLOWED: "Thao tác không phù hợp với trạng thái hiện tại của văn bản.",
    ErrorCode.STATUS_REASON_REQUIRED: "Cần nhập lý do khi trả lại văn bản.",
    ErrorCode.TARGET_DOCUMENT_UNKNOWN: (
        "Không tìm thấy văn bản được nhắc đến (văn bản cần thu hồi, cập nhật hoặc trả lời)."
    ),
    ErrorCode.DOCUMENT_RECALLED: "Văn bản đã được thu hồi hoặc đã bị thay thế.",
    ErrorCode.DUE_DATE_INVALID: "Hạn xử lý không được trước ngày hôm nay.",
    ErrorCode.ACK_NOT_ALLOWED: "Không thể xác nhận đã nhận văn bản ở trạng thái hiện tại.",
    # Trust
    ErrorCode.SIGNATURE_MISSING: "Gói tin chưa được ký số.",
    ErrorCode.SIGNATURE_INVALID: "Chữ ký số của gói tin không hợp lệ.",
    ErrorCode.SIGNATURE_NOT_XMLDSIG: (
        "Phần tử Signature của gói tin nằm trong không gian tên edXML, không theo chuẩn "
        "XML-DSig: phần mềm gửi cần khai báo không gian tên http://www.w3.org/2000/09/xmldsig# "
        "cho chữ ký và ký lại."
    ),
    ErrorCode.CERTIFICATE_REVOKED: "Chứng thư số dùng để ký đã bị thu hồi.",
    ErrorCode.CERTIFICATE_EXPIRED: "Chứng thư số dùng để ký không còn hiệu lực tại thời điểm ký.",
    ErrorCode.CERTIFICATE_UNTRUSTED: (
        "Chứng thư số dùng để ký không do tổ chức chứng thực chữ ký số được tin cậy cấp."
    ),
    ErrorCode.SIGNER_NOT_SENDER: "Chứng thư số dùng để ký không thuộc cơ quan gửi.",
    ErrorCode.CERTIFICATE_USAGE_INVALID: (
        "Chứng thư số dùng để ký không được phép dùng để ký văn bản."
    ),
    ErrorCode.REVOCATION_UNKNOWN: (
        "Không xác định được chứng thư số dùng để ký có bị thu hồi hay không."
    ),
    ErrorCode.DOCUMENT_SIGNATURE_MISSING: (
        "Tệp PDF của văn bản chính chưa có chữ ký số của cơ quan, tổ chức."
    ),
    # Issuance (Decree 30/2020 Art. 25)
    ErrorCode.COMPETENT_SIGNATURE_MISSING: (
        "Dự thảo chưa có chữ ký của người có thẩm quyền; văn bản chưa được cấp số."
    ),
    ErrorCode.COMPETENT_SIGNATURE_INVALID: (
        "Chữ ký của người có thẩm quyền không hợp lệ; văn bản chưa được cấp số."
    ),
    ErrorCode.SECRET_DOCUMENT_NOT_EXCHANGEABLE: (
        "Văn bản mật được cấp số theo sổ riêng và không được gửi qua trục liên thông."
    ),
    ErrorCode.NUMBER_REGISTER_BUSY: (
        "Sổ đăng ký văn bản đang bận; văn bản chưa được cấp số, vui lòng thử lại."
    ),
    ErrorCode.RECEIPT_INVALID: (
        "Biên nhận của trục liên thông không hợp lệ (sai cấu trúc, sai chữ ký hoặc thuộc "
        "gói tin khác)."
    ),
    ErrorCode.HUB_UNAVAILABLE: (
        "Không kết nối được trục liên thông, hoặc trục trả lời bất thường; vui lòng thử lại sau."
    ),
    # Federation (hub to hub)
    ErrorCode.HUB_UNKNOWN: (
        f"Trục chuyển tiếp không có trong danh bạ định tuyến; {NOTHING_STORED}."
    ),
    ErrorCode.HUB_SIGNATURE_INVALID: (
        "Chữ ký của trục trên yêu cầu chuyển tiếp bị thiếu, sai định dạng, quá hạn hoặc không "
        "khớp với chứng thư của trục trong danh bạ."
    ),
    ErrorCode.HUB_TLS_REQUIRED: (
        "Chỉ nhận chuyển tiếp giữa các trục qua kết nối TLS hai chiều bằng chứng thư của trục; "
        f"{NOTHING_STORED}."
    ),
    ErrorCode.HUB_CERTIFICATE_INVALID: (
        f"Chứng thư của trục không phải chứng thư X.509 dạng PEM đọc được; {NOTHING_STORED}."
    ),
    ErrorCode.FORWARD_LOOP: "Gói tin đã đi qua trục này (vòng lặp định tuyến).",
    ErrorCode.FORWARD_NOT_ALLOWED: (
        "Trục này không được chuyển tiếp gói tin của cơ quan gửi hoặc đến các nơi nhận này."
    ),
    ErrorCode.FORWARD_SENDER_UNKNOWN: (
        f"Cơ quan gửi chưa có trong danh bạ định tuyến của trục này; {NOTHING_STORED}, trục "
        "chuyển tiếp sẽ gửi lại sau lần cập nhật danh bạ tiếp theo."
    ),
    ErrorCode.OUTBOX_ITEM_NOT_FOUND: "Không tìm thấy mục này trong hàng đợi chuyển tiếp.",
    # Accounts (web users, sessions)
    ErrorCode.LOGIN_FAILED: "Tên đăng nhập hoặc mật khẩu không đúng.",
    ErrorCode.LOGIN_THROTTLED: (
        "Bạn đã đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút."
    ),
    ErrorCode.CSRF_INVALID: (
        "Biểu mẫu đã hết hạn hoặc không hợp lệ (thiếu mã chống giả mạo). Không có thay đổi "
        "nào được lưu; vui lòng tải lại trang và thử lại."
    ),
    ErrorCode.USER_EXISTS: "Đã có người dùng với tên đăng nhập này.",
    ErrorCode.USER_UNKNOWN: "Không tìm thấy người dùng.",
    ErrorCode.USER_INVALID: (
        "Tên đăng nhập, vai trò, cơ quan hoặc mật khẩu của người dùng không đúng quy định."
    ),
    # Public service portal (dossier sync, catalogue, feedback)
    ErrorCode.PORTAL_BATCH_TOO_LARGE: (f"Mỗi lần gửi chỉ được tối đa 1.000 mục; {NOTHING_STORED}."),
    ErrorCode.PORTAL_DOSSIER_INVALID: (
        "Hồ sơ hoặc bước xử lý thiếu trường bắt buộc hoặc có giá trị sai định dạng."
    ),
    ErrorCode.PORTAL_DATE_INVALID: (
        "Ngày giờ không đúng định dạng yyyyMMddHHmmss (giờ Việt Nam) hoặc không tồn tại."
    ),
    ErrorCode.PORTAL_DOSSIER_CODE_INVALID: "Mã hồ sơ bị trống hoặc không hợp lệ.",
    ErrorCode.PORTAL_AGENCY_NOT_IN_SCOPE: (
        "Cơ quan của hồ sơ không thuộc phạm vi của hệ thống một cửa điện tử đã xác thực."
    ),
    ErrorCode.PORTAL_TRANSITION_NOT_ALLOWED: (
        "Không thể chuyển hồ sơ từ trạng thái hiện tại sang trạng thái đã gửi."
    ),
    ErrorCode.PORTAL_DOSSIER_NOT_FOUND: "Không tìm thấy hồ sơ có mã này.",
    ErrorCode.PORTAL_PROCEDURE_INVALID: (
        "Thông tin thủ tục hành chính trong danh mục không đầy đủ hoặc không thống nhất; "
        "chưa nhập thủ tục nào."
    ),
    ErrorCode.PORTAL_PROCEDURE_NOT_FOUND: "Không tìm thấy thủ tục hành chính có mã này.",
    ErrorCode.PORTAL_RECODE_INVALID: (
        "Mã TTHC mới không được công bố cho cơ quan, cấp này tại thời điểm tiếp nhận."
    ),
    ErrorCode.PORTAL_SERVICE_UNKNOWN: "Cổng kết nối không có dịch vụ với tên này.",
    ErrorCode.PORTAL_SESSION_INVALID: (
        "Phiên kết nối bị thiếu, không đúng hoặc đã hết hạn; vui lòng đăng nhập lại (LayToken)."
    ),
    ErrorCode.PORTAL_FEEDBACK_INVALID: (
        "Phản ánh, kiến nghị còn thiếu thông tin bắt buộc hoặc có nội dung quá dài."
    ),
    ErrorCode.PORTAL_FEEDBACK_NOT_FOUND: "Không tìm thấy phản ánh, kiến nghị có mã này.",
    ErrorCode.PORTAL_FEEDBACK_RATE_LIMITED: (
        "Bạn đã gửi quá nhiều phản ánh trong thời gian ngắn. Vui lòng thử lại sau."
    ),
    ErrorCode.PORTAL_FEEDBACK_STATE: "Thao tác không phù hợp với trạng thái hiện tại.",
    # Reporting (Decree 09/2019/NĐ-CP)
    ErrorCode.REGIME_UNKNOWN: "Không có chế độ báo cáo đang có hiệu lực với mã này.",
    ErrorCode.REGIME_INVALID: (
        "Chế độ báo cáo thiếu nội dung theo Điều 8 Nghị định 09/2019/NĐ-CP hoặc thời hạn gửi "
        "không đúng quy định."
    ),
    ErrorCode.REGIME_EXISTS: f"Đã có chế độ báo cáo với mã này; {NOTHING_STORED}.",
    ErrorCode.REGIME_NOT_ISSUER: (
        "Chỉ cán bộ của cơ quan ban hành mới được xây dựng, công bố hoặc bãi bỏ chế độ báo cáo này."
    ),
    ErrorCode.REGIME_OUT_OF_AUTHORITY: (
        "Đối tượng thực hiện hoặc cơ quan nhận báo cáo không thuộc phạm vi quản lý của cơ quan "
        f"ban hành; {NOTHING_STORED}."
    ),
    ErrorCode.REGIME_VERSION_IN_USE: (
        "Đã có báo cáo gửi theo phiên bản này nên không thể sửa; hãy ban hành phiên bản mới có "
        f"hiệu lực từ một ngày; {NOTHING_STORED}."
    ),
    ErrorCode.REGIME_STATE_INVALID: (
        "Trạng thái của chế độ báo cáo (dự thảo, đã công bố, đã bãi bỏ) không cho phép thao tác "
        "này."
    ),
    ErrorCode.REGIME_INDICATOR_CONFLICT: (
        "Mã chỉ tiêu đã được dùng với nội dung khác (tên, đơn vị tính hoặc cách tổng hợp) trong "
        f"chế độ báo cáo khác hoặc danh mục chỉ tiêu; {NOTHING_STORED}."
    ),
    ErrorCode.REPORT_PERIOD_INVALID: (
        "Kỳ báo cáo không thuộc chế độ báo cáo này (ví dụ: 2026-M03, 2026-Q1, 2026-Y)."
    ),
    ErrorCode.REPORT_PERIOD_CLOSED: f"Kỳ báo cáo đã đóng; {NOTHING_STORED}.",
    ErrorCode.REPORT_NOT_EXPECTED: (
        "Đơn vị không thuộc diện báo cáo theo chế độ này trong kỳ này."
    ),
    ErrorCode.REPORT_UNIT_MISMATCH: (
        "Đơn vị chỉ được gửi báo cáo của mình và xử lý các báo cáo gửi đến mình."
    ),
    ErrorCode.REPORT_NOT_FOUND: "Không tìm thấy báo cáo.",
    ErrorCode.REPORT_STATE_INVALID: "Trạng thái hiện tại của báo cáo không cho phép thao tác này.",
    ErrorCode.REPORT_LOCKED: (
        "Báo cáo đã được chấp nhận và khóa; muốn điều chỉnh phải tạo phiên bản mới kèm lý do."
    ),
    ErrorCode.REPORT_REASON_REQUIRED: (
        "Trả lại báo cáo cần có ý kiến; điều chỉnh báo cáo cần có lý do."
    ),
    ErrorCode.REPORT_VALIDATION_FAILED: (
        f"Số liệu báo cáo không đáp ứng quy tắc của biểu mẫu; {NOTHING_STORED}."
    ),
    ErrorCode.REPORT_TEMPLATE_INVALID: (
        "Tệp bảng tính không phải mẫu của biểu này (phiên bản, trang tính, công thức hoặc ô); "
        f"{NOTHING_STORED}."
    ),
    ErrorCode.REPORT_FILE_TOO_LARGE: "Tệp tải lên vượt quá dung lượng cho phép.",
    ErrorCode.REPORT_SIGNATURE_INVALID: (
        "Tệp PDF không phải bản báo cáo được thủ trưởng đơn vị ký số hợp lệ."
    ),
    ErrorCode.REPORT_REQUEST_NOT_FOUND: "Không tìm thấy yêu cầu báo cáo đột xuất, chuyên đề.",
    ErrorCode.REPORT_TEMPLATE_VERSION: (
        "Tệp bảng tính được lập từ phiên bản khác của biểu mẫu hoặc chế độ báo cáo; vui lòng "
        "tải mẫu hiện hành. Không có gì được lưu."
    ),
    ErrorCode.REPORT_SHEET_MISSING: (
        f"Tệp bảng tính thiếu một trang tính của mẫu; {NOTHING_STORED}."
    ),
    ErrorCode.REPORT_CELL_NOT_NUMBER: (
        f"Có ô số liệu chứa chữ, không phải là số; {NOTHING_STORED}."
    ),
    ErrorCode.REPORT_FORMULA_REFUSED: (
        "Tệp bảng tính có công thức; vui lòng chỉ nhập giá trị. Không có gì được lưu."
    ),
    ErrorCode.REPORT_FILE_UNSAFE: (
        "Tệp không phải tệp XLSX an toàn (không phải tệp ZIP, quá nhiều thành phần hoặc ô, "
        f"hoặc tỷ lệ giải nén bất thường); {NOTHING_STORED}."
    ),
    ErrorCode.REPORT_REQUEST_INVALID: (
        "Yêu cầu báo cáo cần có tiêu đề, nội dung, đơn vị nhận, ngày chốt số liệu và hạn gửi "
        f"sau ngày chốt ít nhất một ngày làm việc; {NOTHING_STORED}."
    ),
    ErrorCode.REPORT_REQUEST_CLOSED: f"Yêu cầu báo cáo đã đóng; {NOTHING_STORED}.",
    ErrorCode.REPORT_EXCHANGE_MALFORMED: (
        "Tệp không đúng định dạng ADX (XML) hoặc DHIS2 dataValueSets (JSON), có khai báo DTD, "
        f"thực thể hoặc không có số liệu; {NOTHING_STORED}."
    ),
    ErrorCode.REPORT_EXCHANGE_INDICATOR_UNKNOWN: (
        "Tệp có chỉ tiêu hoặc phân tổ không có trong biểu mẫu của chế độ báo cáo; "
        f"{NOTHING_STORED}."
    ),
    ErrorCode.REPORT_EXCHANGE_PERIOD_INVALID: (
        "Kỳ báo cáo trong tệp không thuộc chế độ báo cáo hoặc không phải kỳ đang nhập "
        f"(ví dụ: 2026-03-01/P1M, 202603, 2026Q1); {NOTHING_STORED}."
    ),
    ErrorCode.REPORT_EXCHANGE_UNIT_INVALID: (
        f"Đơn vị trong tệp không thuộc diện báo cáo theo chế độ này; {NOTHING_STORED}."
    ),
    ErrorCode.REPORT_EXCHANGE_DUPLICATE_VALUE: (
        f"Tệp có một chỉ tiêu (cùng phân tổ) được ghi hai lần; {NOTHING_STORED}."
    ),
    ErrorCode.TASK_INVALID: (
        f"Nhiệm vụ thiếu thông tin bắt buộc hoặc không hợp lệ; {NOTHING_STORED}."
    ),
    ErrorCode.TASK_NOT_FOUND: ("Không tìm thấy nhiệm vụ có mã này trong phạm vi của cơ quan bạn."),
    ErrorCode.TASK_LEAD_AGENCY_INVALID: (
        "Nhiệm vụ phải có một cơ quan chủ trì đã đăng ký và còn hiệu lực vào ngày giao; "
        f"{NOTHING_STORED}."
    ),
    ErrorCode.TASK_DEADLINE_INVALID: (
        f"Thời hạn không hợp lệ (trước ngày giao hoặc thiếu thông tin); {NOTHING_STORED}."
    ),
    ErrorCode.TASK_NOT_LEAD: "Chỉ cơ quan chủ trì nhiệm vụ mới được thực hiện thao tác này.",
    ErrorCode.TASK_NOT_ASSIGNER: "Chỉ cơ quan giao nhiệm vụ mới được thực hiện thao tác này.",
    ErrorCode.TASK_TRANSITION_INVALID: (
        "Thao tác không phù hợp với trạng thái hiện tại của nhiệm vụ; không có thay đổi nào."
    ),
    ErrorCode.TASK_EVIDENCE_REQUIRED: (
        "Đề nghị hoàn thành phải kèm sản phẩm: mã văn bản (DocumentId) hoặc tệp đính kèm."
    ),
    ErrorCode.TASK_EXTENSION_INVALID: (
        "Chỉ gia hạn được nhiệm vụ có thời hạn, và hạn mới phải sau hạn hiện tại."
    ),
    ErrorCode.RECORD_PLAN_INVALID: (
        "Danh mục hồ sơ bị từ chối: có dòng thiếu số, ký hiệu hồ sơ, tiêu đề hoặc người "
        "lập, trùng số hồ sơ, hoặc thời hạn bảo quản không phải “Vĩnh viễn” hay số năm; "
        "không có gì được lưu."
    ),
    ErrorCode.RECORD_PLAN_ENTRY_UNKNOWN: (
        "Danh mục hồ sơ năm này của cơ quan không có số, ký hiệu hồ sơ này."
    ),
    ErrorCode.RECORD_FILE_EXISTS: "Hồ sơ của dòng danh mục này đã được mở; không có gì được lưu.",
    ErrorCode.RECORD_FILE_NOT_FOUND: "Không tìm thấy hồ sơ này trong phạm vi của cơ quan bạn.",
    ErrorCode.RECORD_FIELD_INVALID: (
        "Thông tin của hồ sơ (ngôn ngữ, chế độ sử dụng) không hợp lệ; không có gì được lưu."
    ),
    ErrorCode.RECORD_FILE_READ_ONLY: (
        "Hồ sơ đã kết thúc (hoặc đã nộp lưu, đã hủy) nên chỉ được xem; muốn sửa phải mở "
        "lại hồ sơ và nêu lý do."
    ),
    ErrorCode.RECORD_DOCUMENT_NOT_FOUND: (
        "Cơ quan bạn không gửi cũng không nhận văn bản này; không có gì được lưu."
    ),
    ErrorCode.RECORD_DOCUMENT_ALREADY_FILED: "Văn bản đã có trong hồ sơ này.",
    ErrorCode.RECORD_MATERIAL_INVALID: (
        "Tài liệu rỗng hoặc vượt quá dung lượng cho phép; không có gì được lưu."
    ),
    ErrorCode.RECORD_ITEM_NOT_FOUND: "Hồ sơ không có văn bản, tài liệu này.",
    ErrorCode.RECORD_FILE_INCOMPLETE: (
        "Chưa kết thúc được hồ sơ vì còn thiếu thông tin đầu mục (xem danh sách); hồ sơ "
        "không thay đổi."
    ),
    ErrorCode.RECORD_STATE_INVALID: (
        "Trạng thái hiện tại của hồ sơ không cho phép thao tác này; hồ sơ không thay đổi."
    ),
    ErrorCode.RECORD_REASON_REQUIRED: "Mở lại hồ sơ đã kết thúc cần nêu lý do.",
    ErrorCode.RECORD_RETENTION_NOT_ENDED: (
        "Hồ sơ chưa hết thời hạn bảo quản (hoặc bảo quản vĩnh viễn) nên không được hủy; "
        "hồ sơ không thay đổi."
    ),
    ErrorCode.RECORD_DECISION_REQUIRED: "Hủy hồ sơ phải có quyết định hủy tài liệu hết giá trị.",
    ErrorCode.RECORD_RECEIPT_MISMATCH: (
        "Biên nhận của lưu trữ không khớp với gói hồ sơ đã xuất lần gần nhất; hồ sơ không thay đổi."
    ),
    ErrorCode.RECORD_PACKAGE_MALFORMED: (
        "Gói nộp lưu không đúng định dạng (tệp zip chứa một túi BagIt); không có gì được lưu."
    ),
    ErrorCode.RECORD_PACKAGE_UNSAFE: (
        "Gói nộp lưu có mục trỏ ra ngoài gói (đường dẫn tuyệt đối, “..” hoặc liên kết); "
        "không có gì được lưu."
    ),
    ErrorCode.RECORD_PACKAGE_TOO_LARGE: (
        "Gói nộp lưu giải nén vượt quá giới hạn hoặc có dấu hiệu bom nén; không có gì được lưu."
    ),
    ErrorCode.RECORD_PACKAGE_FIXITY: (
        "Có tệp trong gói nộp lưu không khớp mã kiểm tra SHA-256 (đã bị thay đổi hoặc "
        "hỏng); không có gì được lưu."
    ),
    ErrorCode.RECORD_PACKAGE_METADATA: (
        "Siêu dữ liệu của gói nộp lưu thiếu trường bắt buộc (xem danh sách); không có gì được lưu."
    ),
    ErrorCode.TASK_REASON_REQUIRED: "Trả lại, từ chối hoặc hủy nhiệm vụ cần nêu lý do.",
    ErrorCode.TASK_PACKAGE_INVALID: (
        "Gói tin nhiệm vụ thiếu tệp nhiem-vu.json hoặc tệp không đọc được, không đủ thông tin."
    ),
    ErrorCode.TASK_PACKAGE_FORGED: (
        "Nội dung gói tin nhiệm vụ không khớp với cơ quan gửi, cơ quan nhận hoặc loại gói tin "
        "đã ký số."
    ),
    ErrorCode.TASK_PACKAGE_UNKNOWN_TASK: (
        "Gói tin nói về một nhiệm vụ (hoặc một phiếu giao nhiệm vụ) không có trên trục này."
    ),
    ErrorCode.TASK_PACKAGE_NOT_PARTY: (
        "Cơ quan gửi hoặc nhận gói tin không phải là bên của nhiệm vụ được thực hiện bước này."
    ),
    ErrorCode.TASK_PACKAGE_DUPLICATE: "Nhiệm vụ có mã này đã được ghi nhận từ một phiếu giao khác.",
    ErrorCode.REMOTE_SIGNING_TIMEOUT: (
        "Hết thời gian chờ duyệt ký trên điện thoại; dự thảo chưa được ký."
    ),
    ErrorCode.REMOTE_SIGNING_CODE_WRONG: "Mã xác thực không đúng; chữ ký chưa được duyệt.",
    ErrorCode.REMOTE_SIGNING_LOCKED: (
        "Nhập sai mã xác thực quá số lần cho phép: yêu cầu ký đã bị khóa; dự thảo chưa được ký."
    ),
    ErrorCode.REMOTE_SIGNING_PENDING: "Chữ ký chưa được duyệt trên điện thoại.",
    ErrorCode.REMOTE_SIGNING_UNAVAILABLE: (
        "Dịch vụ ký số từ xa không phản hồi; dự thảo chưa được ký, vui lòng thử lại."
    ),
    ErrorCode.REMOTE_SIGNING_REQUEST_UNKNOWN: "Không tìm thấy yêu cầu ký số.",
    ErrorCode.REMOTE_SIGNING_SAD_INVALID: (
        "Dữ liệu kích hoạt chữ ký không hợp lệ hoặc đã hết hạn; chưa ký gì."
    ),
    ErrorCode.SIGNER_CERTIFICATE_REVOKED: (
        "Chứng thư số của người ký đã bị thu hồi; dự thảo chưa được ký."
    ),
    ErrorCode.SIGNER_CERTIFICATE_NOT_OWN: (
        "Chứng thư số trên dịch vụ ký từ xa không phải của người ký; dự thảo chưa được ký."
    ),
    # Anything else
    ErrorCode.STORAGE_UNAVAILABLE: (
        f"Hệ thống lưu trữ tạm thời không sẵn sàng; {NOTHING_STORED}, vui lòng thử lại."
    ),
    ErrorCode.INTERNAL: (
        f"Hệ thống gặp lỗi ngoài dự kiến; {NOTHING_STORED}. Vui lòng thử lại sau."
    ),
}


def vietnamese(code: ErrorCode) -> str:
    """The sentence a page shows for ``code``. Every code of the closed list has one (a unit
    test checks); a general sentence stands in rather than an English one should a new code
    reach a page before its translation."""
    return VIETNAMESE.get(code, "Không thực hiện được yêu cầu.")
