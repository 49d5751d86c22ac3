// fast-xml-parser 4.0.0: validate untrusted XML, then parse what is valid. The validator
// is documented to return an error object for invalid XML, but a closing tag that was never
// opened makes it throw "TypeError: Cannot read properties of undefined (reading
// 'tagName')" (NaturalIntelligence/fast-xml-parser issues #573 and #620; fixed in 4.3.6 by
// pull request #647). Expected: none; validate() must not throw, and parse() of a
// document that validate() accepted must not throw either.
const { XMLParser, XMLValidator } = require("fast-xml-parser");

const parser = new XMLParser({ ignoreAttributes: false, allowBooleanAttributes: true });

module.exports.fuzz = function (data) {
  const xml = data.toString("utf8");
  if (XMLValidator.validate(xml, { allowBooleanAttributes: true }) === true) parser.parse(xml);
};
