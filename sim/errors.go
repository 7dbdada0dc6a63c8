package sim

import "strconv"

// Error is an entry of the instrument's error queue: a SCPI error code and
// message. Handlers return one to report a command's failure; the engine
// queues it and sets the matching event status bit.
type Error struct {
	Code    int    `yaml:"code"`
	Message string `yaml:"message"`
}

func (e Error) Error() string { return strconv.Itoa(e.Code) + `,"` + e.Message + `"` }

// WithInfo returns e with device-dependent information appended to the
// message, as SCPI-99 allows: `-222,"Data out of range;VOLT 50"`.
func (e Error) WithInfo(info string) Error {
	if info == "" {
		return e
	}
	return Error{Code: e.Code, Message: e.Message + ";" + info}
}

// The standard error codes and messages of SCPI-99 (volume 2, chapter 21),
// those an engine or a model is likely to report.
var (
	ErrCommand                = Error{-100, "Command error"}
	ErrInvalidCharacter       = Error{-101, "Invalid character"}
	ErrSyntax                 = Error{-102, "Syntax error"}
	ErrInvalidSeparator       = Error{-103, "Invalid separator"}
	ErrDataType               = Error{-104, "Data type error"}
	ErrGETNotAllowed          = Error{-105, "GET not allowed"}
	ErrParameterNotAllowed    = Error{-108, "Parameter not allowed"}
	ErrMissingParameter       = Error{-109, "Missing parameter"}
	ErrCommandHeader          = Error{-110, "Command header error"}
	ErrHeaderSeparator        = Error{-111, "Header separator error"}
	ErrMnemonicTooLong        = Error{-112, "Program mnemonic too long"}
	ErrUndefinedHeader        = Error{-113, "Undefined header"}
	ErrHeaderSuffix           = Error{-114, "Header suffix out of range"}
	ErrUnexpectedParams       = Error{-115, "Unexpected number of parameters"}
	ErrNumericData            = Error{-120, "Numeric data error"}
	ErrInvalidCharInNumber    = Error{-121, "Invalid character in number"}
	ErrExponentTooLarge       = Error{-123, "Exponent too large"}
	ErrTooManyDigits          = Error{-124, "Too many digits"}
	ErrNumericNotAllowed      = Error{-128, "Numeric data not allowed"}
	ErrSuffix                 = Error{-130, "Suffix error"}
	ErrInvalidSuffix          = Error{-131, "Invalid suffix"}
	ErrSuffixTooLong          = Error{-134, "Suffix too long"}
	ErrSuffixNotAllowed       = Error{-138, "Suffix not allowed"}
	ErrCharacterData          = Error{-140, "Character data error"}
	ErrInvalidCharacterData   = Error{-141, "Invalid character data"}
	ErrCharacterDataTooLong   = Error{-144, "Character data too long"}
	ErrCharacterNotAllowed    = Error{-148, "Character data not allowed"}
	ErrStringData             = Error{-150, "String data error"}
	ErrInvalidStringData      = Error{-151, "Invalid string data"}
	ErrStringNotAllowed       = Error{-158, "String data not allowed"}
	ErrBlockData              = Error{-160, "Block data error"}
	ErrInvalidBlockData       = Error{-161, "Invalid block data"}
	ErrBlockNotAllowed        = Error{-168, "Block data not allowed"}
	ErrExpression             = Error{-170, "Expression error"}
	ErrInvalidExpression      = Error{-171, "Invalid expression"}
	ErrExpressionNotAllowed   = Error{-178, "Expression data not allowed"}
	ErrExecution              = Error{-200, "Execution error"}
	ErrInvalidWhileInLocal    = Error{-201, "Invalid while in local"}
	ErrTriggerIgnored         = Error{-211, "Trigger ignored"}
	ErrInitIgnored            = Error{-213, "Init ignored"}
	ErrTriggerDeadlock        = Error{-214, "Trigger deadlock"}
	ErrParameter              = Error{-220, "Parameter error"}
	ErrSettingsConflict       = Error{-221, "Settings conflict"}
	ErrDataOutOfRange         = Error{-222, "Data out of range"}
	ErrTooMuchData            = Error{-223, "Too much data"}
	ErrIllegalParameterValue  = Error{-224, "Illegal parameter value"}
	ErrOutOfMemory            = Error{-225, "Out of memory"}
	ErrDataCorruptOrStale     = Error{-230, "Data corrupt or stale"}
	ErrHardwareMissing        = Error{-241, "Hardware missing"}
	ErrDeviceSpecific         = Error{-300, "Device-specific error"}
	ErrSystem                 = Error{-310, "System error"}
	ErrSelfTestFailed         = Error{-330, "Self-test failed"}
	ErrQueueOverflow          = Error{-350, "Queue overflow"}
	ErrInputBufferOverrun     = Error{-363, "Input buffer overrun"}
	ErrQuery                  = Error{-400, "Query error"}
	ErrQueryInterrupted       = Error{-410, "Query INTERRUPTED"}
	ErrQueryUnterminated      = Error{-420, "Query UNTERMINATED"}
	ErrQueryDeadlocked        = Error{-430, "Query DEADLOCKED"}
	ErrQueryUnterminatedAfter = Error{-440, "Query UNTERMINATED after indefinite response"}
	noError                   = Error{0, "No error"}
)

// Event status register bits (IEEE 488.2 11.5.1).
const (
	esrOPC = 1 << 0 // operation complete
	esrQYE = 1 << 2 // query error
	esrDDE = 1 << 3 // device-dependent error
	esrEXE = 1 << 4 // execution error
	esrCME = 1 << 5 // command error
	esrPON = 1 << 7 // power on
)

// Status byte bits (IEEE 488.2 11.2, SCPI-99 9.1).
const (
	stbEAV = 1 << 2 // error/event queue not empty
	stbQUE = 1 << 3 // questionable status summary
	stbMAV = 1 << 4 // message available
	stbESB = 1 << 5 // event status summary
	stbMSS = 1 << 6 // master summary (RQS)
	stbOPR = 1 << 7 // operation status summary
)

// esrBit is the event status bit an error sets.
func esrBit(code int) byte {
	switch {
	case code <= -100 && code > -200:
		return esrCME
	case code <= -200 && code > -300:
		return esrEXE
	case code <= -300 && code > -400, code > 0:
		return esrDDE
	case code <= -400 && code > -500:
		return esrQYE
	}
	return 0
}
