// A record with a 4-byte header: a 16-bit big-endian length field, then two reserved
// bytes; the field must equal the length of the payload after the header, of at least 16 bytes.
module.exports.fuzz = function (data) {
  if (data.length < 4) return;
  const declared = data.readUInt16BE(0);
  const payload = data.length - 4;
  if (payload < 16) return;
  if (declared === payload) throw new Error(`solved: the length field matches the ${payload}-byte payload`);
};
