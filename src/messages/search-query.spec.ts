import { ApiError } from '../common/errors/api-error';
import { searchTerms } from './search-query';

describe('searchTerms', () => {
  it('keeps web-search syntax and turns term* into prefix matches', () => {
    expect(searchTerms('"brave new" world')).toEqual({ words: '"brave new" world', prefixes: '' });
    expect(searchTerms('hel* wor* exact')).toEqual({ words: 'exact', prefixes: "'hel':* & 'wor':*" });
    expect(searchTerms("it's*")).toEqual({ words: '', prefixes: "'it':* & 's':*" });
    expect(searchTerms('Zürich*')).toEqual({ words: '', prefixes: "'zürich':*" });
  });

  it('never hands to_tsquery a quote or an operator of the user', () => {
    expect(searchTerms("a':* b*").prefixes).toBe("'a':* & 'b':*");
    expect(searchTerms("a':*|b*")).toEqual({ words: "a':*|b*", prefixes: '' });
    expect(searchTerms('x* -y*')).toEqual({ words: '-y', prefixes: "'x':*" });
  });

  it('refuses a search without a letter or digit', () => {
    for (const query of ['!!! "" *', '']) {
      expect(() => searchTerms(query)).toThrow(ApiError);
      try {
        searchTerms(query);
      } catch (error) {
        expect((error as ApiError).body).toMatchObject({ param: 'query', code: 'invalid_value' });
      }
    }
  });
});
